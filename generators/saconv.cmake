# The SAConv generator's built-in kernels: shape-generic, one per path it takes
# (saconv_paths.def) x activation, named
# convforge_saconv_<path>_<act> (runtime/src/variants/saconv.cpp names the one a layer takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/saconv_paths.def" CONVFORGE_SACONV_PATH CONVFORGE_SACONV_PATHS)

function(convforge_saconv_builtin_kernels set_target)
    cmake_parse_arguments(G "" "TARGET;SUFFIX;DIR" "" ${ARGN})
    foreach (path IN LISTS CONVFORGE_SACONV_PATHS)
        foreach (act IN LISTS CONVFORGE_ACTIVATIONS)
            convforge_add_builtin_kernel(${set_target} convforge_saconv_${path}_${act} TARGET ${G_TARGET}
                                         SUFFIX "${G_SUFFIX}" DIR "${G_DIR}"
                                         EMIT_ARGS --builtin convforge_saconv_${path}_${act})
        endforeach ()
    endforeach ()
endfunction()
