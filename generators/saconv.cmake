# The SAConv generator's built-in kernels: shape-generic, one per path it takes
# (dense for one group, grouped otherwise) x activation, named
# convforge_saconv_<path>_<act> (runtime/src/variants/saconv.cpp names the one a layer takes).
function(convforge_saconv_builtin_kernels set_target)
    cmake_parse_arguments(G "" "TARGET;SUFFIX;DIR" "" ${ARGN})
    foreach (path IN ITEMS dense grouped)
        foreach (act IN LISTS CONVFORGE_ACTIVATIONS)
            convforge_add_builtin_kernel(${set_target} convforge_saconv_${path}_${act} TARGET ${G_TARGET}
                                         SUFFIX "${G_SUFFIX}" DIR "${G_DIR}"
                                         EMIT_ARGS --builtin convforge_saconv_${path}_${act})
        endforeach ()
    endforeach ()
endfunction()
