# The SPConv generator's built-in kernels: shape-generic, one per path it takes
# (spconv_paths.def: grouped) x activation, named
# convforge_spconv_<path>_<act> (runtime/src/variants/spconv.cpp names the one a layer takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/spconv_paths.def" CONVFORGE_SPCONV_PATH CONVFORGE_SPCONV_PATHS)

function(convforge_spconv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} spconv PATHS ${CONVFORGE_SPCONV_PATHS} ${ARGN})
endfunction()
