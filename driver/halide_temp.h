// Where Halide's temporary directories go. libHalide 14 makes them (the object
// files of a static library while it is being built) with mkdtemp("/tmp/XXXXXX"),
// a fixed template that ignores TMPDIR, so an interrupted or killed compile left
// them in /tmp. The executables that link libHalide (convforge, convforge-gen)
// link halide_temp.cpp, whose mkdtemp takes that one template elsewhere: into the
// directory a HalideTempDirectory names (emit: a private directory inside its
// staging directory, removed with it on failure, on a signal, and by the parent
// of a killed compile), else into $TMPDIR when set, else /tmp as before.
#pragma once

#include <string>

namespace convforge {

// While one exists, Halide's temporary directories are made inside `parent`.
class HalideTempDirectory {
public:
    explicit HalideTempDirectory(const std::string &parent);
    ~HalideTempDirectory();
    HalideTempDirectory(const HalideTempDirectory &) = delete;
    HalideTempDirectory &operator=(const HalideTempDirectory &) = delete;
};

}  // namespace convforge
