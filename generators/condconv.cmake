# The CondConv generator's built-in kernels: shape-generic, one per path it takes
# (condconv_paths.def) x activation, named
# convforge_condconv_<path>_<act> (runtime/src/variants/condconv.cpp names the one a layer takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/condconv_paths.def" CONVFORGE_CONDCONV_PATH CONVFORGE_CONDCONV_PATHS)

function(convforge_condconv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} condconv PATHS ${CONVFORGE_CONDCONV_PATHS} ${ARGN})
endfunction()
