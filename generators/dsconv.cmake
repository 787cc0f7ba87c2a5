# The DSConv generators' built-in kernels, shape-generic, one per path x activation:
# integer mode, convforge_dsconv_<path>_<act> (dsconv_paths.def: dense; a grouped
# layer calls it per group), and exact mode, convforge_dsconv_exact_<path>_<act>
# on every conv path (conv_paths.def); runtime/src/variants/dsconv.cpp names the one
# a layer takes.
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/dsconv_paths.def" CONVFORGE_DSCONV_PATH CONVFORGE_DSCONV_PATHS)
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/conv_paths.def" CONVFORGE_CONV_PATH CONVFORGE_DSCONV_EXACT_PATHS)

function(convforge_dsconv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} dsconv PATHS ${CONVFORGE_DSCONV_PATHS} ${ARGN})
    convforge_add_path_kernels(${set_target} dsconv_exact PATHS ${CONVFORGE_DSCONV_EXACT_PATHS} ${ARGN})
endfunction()
