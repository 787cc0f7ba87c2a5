# The SAConv generator's built-in kernels: shape-generic, one per path it takes
# (saconv_paths.def) x activation, named
# convforge_saconv_<path>_<act> (runtime/src/variants/saconv.cpp names the one a layer takes).
_convforge_read_list("${CMAKE_CURRENT_LIST_DIR}/saconv_paths.def" CONVFORGE_SACONV_PATH CONVFORGE_SACONV_PATHS)

function(convforge_saconv_builtin_kernels set_target)
    convforge_add_path_kernels(${set_target} saconv PATHS ${CONVFORGE_SACONV_PATHS} ${ARGN})
endfunction()
