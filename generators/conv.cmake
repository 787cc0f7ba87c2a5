# The conv generator's built-in kernels: shape-generic, one per kernel path x
# activation (conv_paths.def x activations.def), named convforge_conv_<path>_<act>
# (runtime/src/plain_conv.cpp names the one each call takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/conv_paths.def" CONVFORGE_CONV_PATH CONVFORGE_CONV_PATHS)

function(convforge_conv_builtin_kernels set_target)
    cmake_parse_arguments(G "" "TARGET;SUFFIX;DIR" "" ${ARGN})
    foreach (path IN LISTS CONVFORGE_CONV_PATHS)
        foreach (act IN LISTS CONVFORGE_ACTIVATIONS)
            convforge_add_builtin_kernel(${set_target} convforge_conv_${path}_${act} TARGET ${G_TARGET}
                                         SUFFIX "${G_SUFFIX}" DIR "${G_DIR}"
                                         EMIT_ARGS --builtin convforge_conv_${path}_${act})
        endforeach ()
    endforeach ()
endfunction()
