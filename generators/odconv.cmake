# The ODConv generator's built-in kernels: shape-generic, one per path it takes
# (odconv_paths.def) x activation, named
# convforge_odconv_<path>_<act> (runtime/src/variants/odconv.cpp names the one a layer takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/odconv_paths.def" CONVFORGE_ODCONV_PATH CONVFORGE_ODCONV_PATHS)

function(convforge_odconv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} odconv PATHS ${CONVFORGE_ODCONV_PATHS} ${ARGN})
endfunction()
