#include "volume/e2fsprogs.hpp"

#include "core/process.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace uk::volume {
namespace {

Result<ToolRun> run_e2fsprogs(const std::string& name, std::vector<std::string> arguments, const Cancelled& cancelled)
{
    auto tool = e2fsprogs_tool(name);
    if (!tool)
        return fail(tool.error());
    arguments.insert(arguments.begin(), tool->string());
    return run_tool(arguments, cancelled);
}

Error tool_failed(const std::string& what, const ToolRun& run)
{
    auto line = run.first_line();
    return Error{ErrorKind::io, fmt::format("{} failed (status {}){}", what, run.status, line.empty() ? "" : ": " + line)};
}

} // namespace

Result<std::filesystem::path> e2fsprogs_tool(const std::string& name)
{
    if (auto found = find_in_path(name))
        return *found;
    for (const char* folder : {"/usr/sbin", "/sbin"}) {
        auto candidate = std::filesystem::path(folder) / name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return fail(ErrorKind::unavailable, "{} is not installed: install e2fsprogs (apt-get install e2fsprogs)", name);
}

Status make_ext4(const std::filesystem::path& file, std::uint64_t size_bytes, const std::string& label,
                 const std::optional<std::filesystem::path>& from, const Cancelled& cancelled)
{
    {
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return fail(ErrorKind::io, "cannot create {}: {}", file.string(), std::strerror(errno));
        bool sized = ::ftruncate(fd, static_cast<off_t>(size_bytes)) == 0;
        int saved = errno;
        ::close(fd);
        if (!sized)
            return fail(ErrorKind::io, "cannot size {} to {} bytes: {}", file.string(), size_bytes, std::strerror(saved));
    }
    // -m 0: no blocks kept back for root, who is the only user in the guest anyway. The
    // file is new and sparse, so its unwritten journal and inode tables already read as
    // zeros: nothing needs writing out (the file takes well under 1 MiB for a 1 GiB volume).
    std::vector<std::string> arguments{"-F", "-q", "-t", "ext4", "-m", "0", "-L", label.substr(0, 16),
                                       "-E", "root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1"};
    if (from) {
        arguments.push_back("-d");
        arguments.push_back(from->string());
    }
    arguments.push_back(file.string());
    auto run = run_e2fsprogs("mke2fs", arguments, cancelled);
    if (!run)
        return fail(run.error());
    if (run->status != 0)
        return fail(tool_failed("mke2fs", *run));
    return {};
}

Result<std::string> check_ext4(const std::filesystem::path& file, bool force, const Cancelled& cancelled)
{
    std::vector<std::string> arguments{"-p"};
    if (force)
        arguments.push_back("-f");
    arguments.push_back(file.string());
    auto run = run_e2fsprogs("e2fsck", arguments, cancelled);
    if (!run)
        return fail(run.error());
    // 0: clean, 1: repaired, 2: repaired (a mounted root would need a reboot).
    if (run->status > 2)
        return fail(ErrorKind::io, "e2fsck -p could not repair {} (status {}{}): look at it with e2fsck -f {}",
                    file.string(), run->status, run->first_line().empty() ? "" : ", " + run->first_line(),
                    file.string());
    auto output = run->output;
    while (!output.empty() && output.back() == '\n')
        output.pop_back();
    return output.substr(output.rfind('\n') == std::string::npos ? 0 : output.rfind('\n') + 1);
}

Status grow_ext4(const std::filesystem::path& file, std::uint64_t size_bytes, const Cancelled& cancelled)
{
    // resize2fs insists on a file system checked since it was last mounted.
    if (auto checked = check_ext4(file, true, cancelled); !checked)
        return fail(checked.error());
    std::error_code ec;
    std::filesystem::resize_file(file, size_bytes, ec);
    if (ec)
        return fail(ErrorKind::io, "cannot grow {} to {} bytes: {}", file.string(), size_bytes, ec.message());
    auto run = run_e2fsprogs("resize2fs", {file.string()}, cancelled);
    if (!run)
        return fail(run.error());
    if (run->status != 0)
        return fail(tool_failed("resize2fs", *run));
    return {};
}

} // namespace uk::volume
