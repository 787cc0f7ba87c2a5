# The conv generator's built-in kernels: shape-generic, one per kernel path x
# activation (conv_paths.def x activations.def), named convforge_conv_<path>_<act>
# (runtime/src/plain_conv.cpp names the one each call takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/conv_paths.def" CONVFORGE_CONV_PATH CONVFORGE_CONV_PATHS)

function(convforge_conv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} conv PATHS ${CONVFORGE_CONV_PATHS} ${ARGN})
endfunction()
