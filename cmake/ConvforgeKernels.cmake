# CMake functions that run `convforge emit` at build time and wrap the output as
# linkable targets. Used by convforge itself and by applications (examples/).
#
#   convforge_add_layer_library(<target> SPEC <layer.json> [TARGET <convforge target>] [NAME <function>])
#
# emits the layer's kernel for TARGET (default x86-64-linux) and defines the
# INTERFACE library <target> carrying the static library and its header directory.
# Link it together with convforge::runtime, which supplies the Halide runtime and
# the weight loading / folding the kernel needs.
#
# Before including this file set CONVFORGE_GEN_COMMAND (the emitting executable)
# and optionally CONVFORGE_GEN_DEPENDS (a target that builds it) and
# CONVFORGE_SCHEDULE_DB (the schedule database).

function(_convforge_emit lib_target)
    cmake_parse_arguments(E "RUNTIME_ONLY" "NAME;TARGET;DIR" "EMIT_ARGS;DEPENDS" ${ARGN})
    if (E_RUNTIME_ONLY)
        set(outputs "${E_DIR}/convforge_halide_runtime.a")
        set(mode --runtime-only)
        set(name convforge_halide_runtime)
    else ()
        set(outputs "${E_DIR}/${E_NAME}.a" "${E_DIR}/${E_NAME}.h")
        set(mode --no-runtime)
        set(name ${E_NAME})
    endif ()
    set(db_args)
    if (CONVFORGE_SCHEDULE_DB)
        set(db_args --schedule-db "${CONVFORGE_SCHEDULE_DB}")
        list(APPEND E_DEPENDS "${CONVFORGE_SCHEDULE_DB}")
    endif ()
    add_custom_command(
        OUTPUT ${outputs}
        COMMAND ${CONVFORGE_GEN_COMMAND} emit ${E_EMIT_ARGS} ${db_args} --target ${E_TARGET}
                --out "${E_DIR}" --flat ${mode} --name ${name}
        DEPENDS ${CONVFORGE_GEN_DEPENDS} ${E_DEPENDS}
        COMMENT "convforge emit ${name} for ${E_TARGET}"
        VERBATIM)
    add_custom_target(${lib_target}.emit DEPENDS ${outputs})
    add_library(${lib_target} INTERFACE)
    list(GET outputs 0 archive)
    target_link_libraries(${lib_target} INTERFACE "${archive}")
    target_include_directories(${lib_target} INTERFACE "${E_DIR}")
    add_dependencies(${lib_target} ${lib_target}.emit)
endfunction()

function(convforge_add_layer_library lib_target)
    cmake_parse_arguments(L "" "SPEC;TARGET;NAME" "" ${ARGN})
    if (NOT L_SPEC)
        message(FATAL_ERROR "convforge_add_layer_library(${lib_target}): SPEC is required")
    endif ()
    if (NOT L_TARGET)
        set(L_TARGET x86-64-linux)
    endif ()
    if (NOT L_NAME)
        set(L_NAME ${lib_target})
    endif ()
    get_filename_component(spec "${L_SPEC}" ABSOLUTE)
    _convforge_emit(${lib_target} NAME ${L_NAME} TARGET ${L_TARGET}
                    DIR "${CMAKE_CURRENT_BINARY_DIR}/convforge/${lib_target}"
                    EMIT_ARGS --spec "${spec}" DEPENDS "${spec}")
endfunction()

# The shape-generic kernels and the Halide runtime that the convforge runtime links.
function(convforge_add_generic_conv_kernels lib_target)
    cmake_parse_arguments(G "" "TARGET;SUFFIX;DIR" "" ${ARGN})
    add_library(${lib_target} INTERFACE)
    foreach (path dense grouped pointwise)
        foreach (act identity relu silu)
            set(name convforge_conv_${path}_${act}${G_SUFFIX})
            _convforge_emit(${name}_lib NAME ${name} TARGET ${G_TARGET} DIR "${G_DIR}"
                            EMIT_ARGS --generic ${path} --activation ${act})
            target_link_libraries(${lib_target} INTERFACE ${name}_lib)
            set_property(GLOBAL APPEND PROPERTY CONVFORGE_KERNEL_ARCHIVES "${G_DIR}/${name}.a")
        endforeach ()
    endforeach ()
endfunction()
