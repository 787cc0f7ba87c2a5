# The DSConv generator's built-in kernels (integer mode): shape-generic, one per
# path it takes (dsconv_paths.def: dense) x activation, named
# convforge_dsconv_<path>_<act> (runtime/src/variants/dsconv.cpp names the one a layer takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/dsconv_paths.def" CONVFORGE_DSCONV_PATH CONVFORGE_DSCONV_PATHS)

function(convforge_dsconv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} dsconv PATHS ${CONVFORGE_DSCONV_PATHS} ${ARGN})
endfunction()
