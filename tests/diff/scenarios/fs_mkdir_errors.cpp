// Scenario fs_mkdir_errors, the C++ twin of fs_mkdir_errors.js (read that file's comment
// first). The kit has no statSync, writeFileSync or rmSync: std::filesystem stands in
// for them, outside what the scenario compares.
#include "console.hpp"
#include "fs.hpp"
#include "process.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace kit;

namespace {
// os.tmpdir(): $TMPDIR, else /tmp.
std::string tmpdir() {
    const char* dir = std::getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}
} // namespace

int main() {
    const std::string base = tmpdir() + "/kit-diff-mkdir-" + std::to_string(::getpid());
    fs::mkdirSync(base);
    const std::string file = base + "/file";
    std::ofstream(file) << "x";

    const std::vector<std::pair<std::string, std::string>> cases{
        {"file", file},
        {"below-file", file + "/sub"},
        {"empty", ""},
        {"existing-dir", base},
        {"new-nested", base + "/a/b"},
        {"trailing-slash", base + "/c/"},
    };
    for (const auto& [name, p] : cases) {
        try {
            fs::mkdirSync(p);
            console::log("mkdir " + name + " ok",
                         std::string("isDirectory=") + (std::filesystem::is_directory(p) ? "true" : "false"));
        } catch (const Error& err) {
            console::log("mkdir " + name + " threw", err.code, err.syscall,
                         "\"" + replaceAll(err.message, base, "BASE") + "\"");
        }
    }
    std::filesystem::remove_all(base);
    return process::run();
}
