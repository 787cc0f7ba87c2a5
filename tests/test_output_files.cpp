// Output files: written whole under a unique name and renamed into place, never
// through a link, never replacing anything but a regular file, safe with many
// writers at once.
#include <gtest/gtest.h>

#include <thread>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "expect_error.h"
#include "naive_reference.h"
#include "scratch_files.h"

namespace convforge {
namespace {

using testing::expect_error;
using OutputFiles = testing::ScratchFiles;
namespace fs = std::filesystem;

std::string read_all(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Only the expected names in `dir`: no temporary file left behind.
std::vector<std::string> names_in(const fs::path &dir) {
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

TEST_F(OutputFiles, LinkPlantedAtTheOldTemporaryNameIsNotFollowed) {
    const fs::path victim = dir / "victim.txt", out = dir / "y.npy";
    write("victim.txt", "precious");
    fs::create_symlink(victim, dir / "y.npy.tmp-convforge");
    const Tensor t = testing::random_input({1, 2, 3, 4}, 1);
    save_npy(out.string(), t);
    EXPECT_EQ(read_all(victim), "precious");
    EXPECT_EQ(load_npy(out.string()).data, t.data);
    EXPECT_EQ(names_in(dir), (std::vector<std::string>{"victim.txt", "y.npy", "y.npy.tmp-convforge"}));
}

TEST_F(OutputFiles, OnlyARegularFileIsReplaced) {
    const Tensor t = testing::random_input({1, 1, 2, 2}, 1);
    write("victim.txt", "precious");
    fs::create_symlink(dir / "victim.txt", dir / "link.npy");
    expect_error([&] { save_npy((dir / "link.npy").string(), t); }, {"link.npy", "is a symbolic link", "refusing"});
    EXPECT_EQ(read_all(dir / "victim.txt"), "precious");
    EXPECT_TRUE(fs::is_symlink(dir / "link.npy"));

    ASSERT_EQ(::mkfifo((dir / "pipe.npy").c_str(), 0600), 0);
    expect_error([&] { save_npy((dir / "pipe.npy").string(), t); }, {"is a pipe", "refusing"});
    EXPECT_TRUE(fs::is_fifo(dir / "pipe.npy"));

    fs::create_directory(dir / "folder.npy");
    expect_error([&] { save_npy((dir / "folder.npy").string(), t); }, {"is a directory", "refusing"});

    // A device node (as /dev/null is): only where this user may make one.
    if (::mknod((dir / "null.npy").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) {
        expect_error([&] { save_npy((dir / "null.npy").string(), t); }, {"is a device", "refusing"});
        EXPECT_TRUE(fs::is_character_file(dir / "null.npy"));
    }
    std::vector<std::string> expected = {"folder.npy", "link.npy", "pipe.npy", "victim.txt"};
    if (fs::exists(fs::symlink_status(dir / "null.npy"))) expected.insert(expected.begin() + 2, "null.npy");
    EXPECT_EQ(names_in(dir), expected);

    write("old.npy", "an earlier output");
    save_npy((dir / "old.npy").string(), t);
    EXPECT_EQ(load_npy((dir / "old.npy").string()).data, t.data);
}

TEST_F(OutputFiles, NewFilesGetOrdinaryPermissionsAndReplacedFilesKeepTheirs) {
    const mode_t mask = ::umask(022);
    save_npy((dir / "y.npy").string(), testing::random_input({1, 1, 1, 1}, 1));
    ::umask(mask);
    EXPECT_EQ(fs::status(dir / "y.npy").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(dir / "y.npy", fs::perms::owner_read | fs::perms::owner_write);
    save_npy((dir / "y.npy").string(), testing::random_input({1, 1, 1, 1}, 2));
    EXPECT_EQ(fs::status(dir / "y.npy").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

// Many writers of one path: every save succeeds and the file is always one whole tensor.
TEST_F(OutputFiles, ConcurrentWritersOfOnePathAllSucceed) {
    const std::string out = (dir / "y.npy").string();
    std::vector<Tensor> tensors;
    for (unsigned i = 0; i < 8; ++i) tensors.push_back(testing::random_input({2, 3, 16, 16}, i));
    for (int round = 0; round < 10; ++round) {
        std::vector<std::thread> writers;
        std::vector<int> failures(8, 0);
        for (int w = 0; w < 8; ++w) {
            writers.emplace_back([&, w] {
                try {
                    save_npy(out, tensors[w]);
                } catch (const Error &) {
                    failures[w] = 1;
                }
            });
        }
        for (auto &t : writers) t.join();
        EXPECT_EQ(std::count(failures.begin(), failures.end(), 1), 0) << "round " << round;
        const Tensor back = load_npy(out);
        EXPECT_TRUE(std::any_of(tensors.begin(), tensors.end(), [&](const Tensor &t) { return t.data == back.data; }));
        EXPECT_EQ(names_in(dir), std::vector<std::string>{"y.npy"});
    }
}

TEST_F(OutputFiles, FailedWriteLeavesNothing) {
    Tensor bad = testing::random_input({1, 1, 2, 2}, 1);
    bad.data.pop_back();
    expect_error([&] { save_npy((dir / "y.npy").string(), bad); }, {"does not match its shape"});
    expect_error([&] { save_npy((dir / "missing" / "y.npy").string(), testing::random_input({1, 1, 1, 1}, 1)); },
                 {"does not exist"});
    expect_error([&] { save_npy("", testing::random_input({1, 1, 1, 1}, 1)); }, {"is not a file path"});
    write("plain.txt", "a file, not a directory");
    expect_error([&] { save_npy((dir / "plain.txt" / "y.npy").string(), testing::random_input({1, 1, 1, 1}, 1)); },
                 {"plain.txt' is not a directory"});
    expect_error([&] { save_npy((dir / "sub/").string(), testing::random_input({1, 1, 1, 1}, 1)); }, {"is not a file path"});
    EXPECT_EQ(names_in(dir), std::vector<std::string>{"plain.txt"});
}

}  // namespace
}  // namespace convforge
