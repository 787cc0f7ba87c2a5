# CMake functions that run `convforge emit` at build time and wrap the output as
# linkable targets. Used by convforge itself and by applications (examples/).
#
#   convforge_add_layer_library(<target> SPEC <layer.json> [TARGET <convforge target>] [NAME <function>]
#                               [DB <schedule database>])
#
# emits the layer's kernel for TARGET (default x86-64-linux) with the records of
# DB (default CONVFORGE_SCHEDULE_DB, else the shipped one) and defines the
# INTERFACE library <target> carrying the static library and its header directory.
# Link it together with convforge::runtime, which supplies the Halide runtime and
# the weight loading / folding the kernel needs.
#
# Before including this file set CONVFORGE_GEN_COMMAND (the emitting executable)
# and optionally CONVFORGE_GEN_DEPENDS (a target that builds it) and
# CONVFORGE_SCHEDULE_DB (the schedule database).

# The names of an X-macro list file (registry.def, activations.def, ...): the same
# lists the C++ code expands. Lines look like MACRO(name) or MACRO(Enumerator, name);
# an #include "other.def" line brings that file's names (a list that is another's).
function(_convforge_read_list def_file macro out)
    # An edited list (a variant registered, a path added) re-runs the configure step.
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${def_file}")
    file(STRINGS "${def_file}" lines REGEX "^(${macro}\\(|#include \")")
    get_filename_component(def_dir "${def_file}" DIRECTORY)
    set(names)
    foreach (line IN LISTS lines)
        if (line MATCHES "^#include \"([^\"]+)\"")
            _convforge_read_list("${def_dir}/${CMAKE_MATCH_1}" ${macro} included)
            list(APPEND names ${included})
        else ()
            string(REGEX REPLACE "^${macro}\\(( *[A-Za-z0-9_]+ *,)? *([a-z0-9_]+) *\\).*$" "\\2" name "${line}")
            list(APPEND names ${name})
        endif ()
    endforeach ()
    set(${out} ${names} PARENT_SCOPE)
endfunction()
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/../runtime/include/convforge/activations.def" CONVFORGE_ACTIVATION
                     CONVFORGE_ACTIVATIONS)

function(_convforge_emit lib_target)
    cmake_parse_arguments(E "RUNTIME_ONLY" "NAME;TARGET;DIR;DB" "EMIT_ARGS;DEPENDS" ${ARGN})
    if (E_RUNTIME_ONLY)
        set(outputs "${E_DIR}/convforge_halide_runtime.a")
        set(mode --runtime-only)
        set(name convforge_halide_runtime)
    else ()
        set(outputs "${E_DIR}/${E_NAME}.a" "${E_DIR}/${E_NAME}.h")
        set(mode --no-runtime)
        set(name ${E_NAME})
    endif ()
    if (CONVFORGE_KERNELS_FROM AND NOT CONVFORGE_KERNELS_FROM STREQUAL CMAKE_BINARY_DIR)
        string(REPLACE "${CMAKE_BINARY_DIR}" "${CONVFORGE_KERNELS_FROM}" reused_archive "${outputs}")
        list(GET reused_archive 0 reused_archive)
        if (EXISTS "${reused_archive}")
            _convforge_reuse_emitted(${lib_target} "${E_DIR}" ${outputs})
            return()
        endif ()
        message(STATUS "convforge: ${lib_target}: not in ${CONVFORGE_KERNELS_FROM}, emitted here")
    endif ()
    set(db_args)
    if (NOT E_DB)
        set(E_DB "${CONVFORGE_SCHEDULE_DB}")
    endif ()
    if (E_DB)
        set(db_args --db "${E_DB}")
        list(APPEND E_DEPENDS "${E_DB}")
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

# A tree built from the same sources with other compile flags (the ASan + UBSan
# tree of scripts/test.sh) links the kernels a host tree emitted rather than emit
# them again: CONVFORGE_KERNELS_FROM names that build directory, whose files lie
# where this tree's would, and are the same bytes (the kernels are never
# instrumented; the generator's flags do not reach them). A kernel that tree does
# not have (a variant it lacks) is emitted here.
function(_convforge_reuse_emitted lib_target dir)
    string(REPLACE "${CMAKE_BINARY_DIR}" "${CONVFORGE_KERNELS_FROM}" reused_dir "${dir}")
    set(reused)
    foreach (output IN LISTS ARGN)
        string(REPLACE "${CMAKE_BINARY_DIR}" "${CONVFORGE_KERNELS_FROM}" file "${output}")
        if (NOT EXISTS "${file}")
            message(FATAL_ERROR "CONVFORGE_KERNELS_FROM: ${file} does not exist: build that tree first")
        endif ()
        list(APPEND reused "${file}")
    endforeach ()
    add_library(${lib_target} INTERFACE)
    list(GET reused 0 archive)
    target_link_libraries(${lib_target} INTERFACE "${archive}")
    # This tree's own directory first: the table of built-in kernels is generated
    # there, and the other tree's table lacks the kernels only this tree emits.
    target_include_directories(${lib_target} INTERFACE "${dir}" "${reused_dir}")
endfunction()

function(convforge_add_layer_library lib_target)
    cmake_parse_arguments(L "" "SPEC;TARGET;NAME;DB" "" ${ARGN})
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
    set(db "")
    if (L_DB)
        get_filename_component(db "${L_DB}" ABSOLUTE)
    endif ()
    _convforge_emit(${lib_target} NAME ${L_NAME} TARGET ${L_TARGET} DB "${db}"
                    DIR "${CMAKE_CURRENT_BINARY_DIR}/convforge/${lib_target}"
                    EMIT_ARGS --spec "${spec}" DEPENDS "${spec}")
endfunction()

# One shape-generic kernel the convforge runtime links (convforge_add_variant_kernels
# says which a variant has): emitted as <name><SUFFIX> and added to <set_target>
# and to the table convforge_write_builtin_kernel_table() writes for SUFFIX.
function(convforge_add_builtin_kernel set_target name)
    cmake_parse_arguments(K "" "TARGET;SUFFIX;DIR" "EMIT_ARGS" ${ARGN})
    set(function_name ${name}${K_SUFFIX})
    _convforge_emit(${function_name}_lib NAME ${function_name} TARGET ${K_TARGET} DIR "${K_DIR}" EMIT_ARGS ${K_EMIT_ARGS})
    if (NOT TARGET ${set_target})
        add_library(${set_target} INTERFACE)
    endif ()
    target_link_libraries(${set_target} INTERFACE ${function_name}_lib)
    set_property(GLOBAL APPEND PROPERTY CONVFORGE_KERNEL_ARCHIVES "${K_DIR}/${function_name}.a")
    set_property(GLOBAL APPEND PROPERTY CONVFORGE_BUILTIN_KERNELS${K_SUFFIX} "${name}")
    set_property(GLOBAL PROPERTY CONVFORGE_BUILTIN_KERNEL_DIR${K_SUFFIX} "${K_DIR}")
endfunction()

# The shape-generic kernels of generator convforge_<stem>: one per path in PATHS x
# activation, named convforge_<stem>_<path>_<act> (runtime/src/plain_conv.h's
# path_kernel() names them alike), each emitted with --builtin <its name>.
function(convforge_add_path_kernels set_target stem)
    cmake_parse_arguments(K "" "TARGET;SUFFIX;DIR" "PATHS" ${ARGN})
    foreach (path IN LISTS K_PATHS)
        foreach (act IN LISTS CONVFORGE_ACTIVATIONS)
            convforge_add_builtin_kernel(${set_target} convforge_${stem}_${path}_${act} TARGET ${K_TARGET}
                                         SUFFIX "${K_SUFFIX}" DIR "${K_DIR}"
                                         EMIT_ARGS --builtin convforge_${stem}_${path}_${act})
        endforeach ()
    endforeach ()
endfunction()

# The shape-generic kernels a variant brings: for each of its generators, a
# common/<stem>_paths.def whose stem is the variant's name or starts with it
# and "_" (DSConv: dsconv, dsconv_exact), generator convforge_<stem> on each path
# the file lists. A variant with no such file (DO-Conv runs the conv's) brings none.
function(convforge_add_variant_kernels set_target variant lists_dir)
    file(GLOB extra_lists "${lists_dir}/${variant}_*_paths.def")
    foreach (list_file IN ITEMS "${lists_dir}/${variant}_paths.def" ${extra_lists})
        if (EXISTS "${list_file}")
            get_filename_component(stem "${list_file}" NAME)
            string(REGEX REPLACE "_paths\\.def$" "" stem "${stem}")
            _convforge_read_list("${list_file}" CONVFORGE_PATH paths)
            convforge_add_path_kernels(${set_target} ${stem} PATHS ${paths} ${ARGN})
        endif ()
    endforeach ()
endfunction()

# convforge_generic_kernels<SUFFIX>.h: the headers of every built-in kernel of that
# suffix and CONVFORGE_GENERIC_KERNELS<SUFFIX>, the table of them by name
# (runtime/src/kernel_table.cpp reads it).
function(convforge_write_builtin_kernel_table)
    cmake_parse_arguments(T "" "SUFFIX" "" ${ARGN})
    get_property(names GLOBAL PROPERTY CONVFORGE_BUILTIN_KERNELS${T_SUFFIX})
    get_property(dir GLOBAL PROPERTY CONVFORGE_BUILTIN_KERNEL_DIR${T_SUFFIX})
    set(includes "")
    set(rows "")
    foreach (name IN LISTS names)
        string(APPEND includes "#include \"${name}${T_SUFFIX}.h\"\n")
        string(APPEND rows "    {\"${name}\", CONVFORGE_EMITTED_KERNEL(${name}${T_SUFFIX})}, \\\n")
    endforeach ()
    string(TOUPPER "CONVFORGE_GENERIC_KERNELS${T_SUFFIX}" table)
    file(GENERATE OUTPUT "${dir}/convforge_generic_kernels${T_SUFFIX}.h" CONTENT "\
// Generated by cmake/ConvforgeKernels.cmake from the generators' kernel lists.
#pragma once
#include \"convforge/convforge.h\"
${includes}
#define ${table} { \\\n${rows}}
")
endfunction()
