#include "vm/spec.hpp"

namespace uk::vm {
namespace {

using nlohmann::json;

json port_json(const settings::PortMapping& p)
{
    return {{"protocol", p.protocol == settings::Protocol::tcp ? "tcp" : "udp"},
            {"host_address", p.host_address},
            {"host_port", p.host_port},
            {"guest_port", p.guest_port}};
}

settings::PortMapping port_from(const json& j)
{
    return {.protocol = j.at("protocol") == "udp" ? settings::Protocol::udp : settings::Protocol::tcp,
            .host_address = j.at("host_address").get<std::string>(),
            .host_port = j.at("host_port").get<std::uint16_t>(),
            .guest_port = j.at("guest_port").get<std::uint16_t>()};
}

const char* bus_name(DiskBus bus)
{
    switch (bus) {
    case DiskBus::virtio: return "virtio";
    case DiskBus::scsi: return "scsi";
    case DiskBus::nvme: return "nvme";
    }
    return "virtio";
}

DiskBus bus_from(const std::string& name)
{
    return name == "scsi" ? DiskBus::scsi : name == "nvme" ? DiskBus::nvme : DiskBus::virtio;
}

} // namespace

std::vector<settings::PortMapping> tcp_ports(const Network& network)
{
    std::vector<settings::PortMapping> out;
    if (const auto* user = std::get_if<UserNetwork>(&network))
        for (const auto& p : user->ports)
            if (p.protocol == settings::Protocol::tcp)
                out.push_back(p);
    return out;
}

json to_json(const VmSpec& spec)
{
    json j{{"arch", to_string(spec.arch)},
           {"accelerator", spec.accelerator == Accelerator::kvm ? "kvm" : "tcg"},
           {"memory_mib", spec.memory_mib},
           {"cpus", spec.cpus},
           {"control_socket", spec.control_socket.string()},
           {"agent_socket", spec.agent_socket.string()}};
    if (const auto* direct = std::get_if<DirectBoot>(&spec.boot)) {
        j["boot"] = {{"kind", "direct"}, {"kernel", direct->kernel.string()}, {"command_line", direct->command_line}};
    } else {
        const auto& firmware = std::get<FirmwareBoot>(spec.boot);
        j["boot"] = {{"kind", "firmware"}};
        if (firmware.uefi)
            j["boot"]["uefi"] = {{"code", firmware.uefi->code.string()}, {"variables", firmware.uefi->variables.string()}};
    }
    j["disks"] = json::array();
    for (const auto& d : spec.disks)
        j["disks"].push_back({{"file", d.file.string()},
                              {"read_only", d.read_only},
                              {"format", d.format},
                              {"bus", bus_name(d.bus)},
                              {"snapshot", d.snapshot},
                              {"serial", d.serial}});
    if (spec.persistent_memory)
        j["persistent_memory"] = {{"file", spec.persistent_memory->file.string()},
                                  {"size_bytes", spec.persistent_memory->size_bytes}};
    j["shared_folders"] = json::array();
    for (const auto& f : spec.shared_folders)
        j["shared_folders"].push_back({{"folder", f.folder.string()}, {"tag", f.tag}, {"read_only", f.read_only}});
    if (const auto* user = std::get_if<UserNetwork>(&spec.network)) {
        j["network"] = {{"kind", "user"}, {"ports", json::array()}};
        for (const auto& p : user->ports)
            j["network"]["ports"].push_back(port_json(p));
    } else if (const auto* tap = std::get_if<TapNetwork>(&spec.network)) {
        j["network"] = {{"kind", "tap"}, {"device", tap->device}};
    } else if (const auto* bridge = std::get_if<BridgeNetwork>(&spec.network)) {
        j["network"] = {{"kind", "bridge"}, {"bridge", bridge->bridge}, {"helper", bridge->helper.string()}};
    } else {
        j["network"] = {{"kind", "none"}};
    }
    if (spec.debugger)
        j["debugger"] = {{"port", spec.debugger->port}, {"wait", spec.debugger->wait}};
    return j;
}

std::filesystem::path boot_image(const VmSpec& spec)
{
    if (spec.persistent_memory)
        return spec.persistent_memory->file;
    return spec.disks.empty() ? std::filesystem::path() : spec.disks.front().file;
}

Result<VmSpec> spec_from_json(const json& j)
{
    try {
        VmSpec spec;
        // Records from before arm64 guests name no architecture: they are x86-64.
        spec.arch = j.value("arch", std::string("amd64")) == "arm64" ? Arch::arm64 : Arch::amd64;
        spec.accelerator = j.at("accelerator") == "kvm" ? Accelerator::kvm : Accelerator::tcg;
        spec.memory_mib = j.at("memory_mib").get<std::uint32_t>();
        spec.cpus = j.at("cpus").get<unsigned>();
        spec.control_socket = j.at("control_socket").get<std::string>();
        spec.agent_socket = j.value("agent_socket", std::string());
        const auto& boot = j.at("boot");
        if (boot.at("kind") == "direct") {
            spec.boot = DirectBoot{boot.at("kernel").get<std::string>(), boot.at("command_line").get<std::string>()};
        } else {
            FirmwareBoot firmware;
            if (boot.contains("uefi"))
                firmware.uefi = UefiFirmware{boot["uefi"].at("code").get<std::string>(),
                                             boot["uefi"].at("variables").get<std::string>()};
            spec.boot = firmware;
        }
        for (const auto& d : j.at("disks"))
            spec.disks.push_back({.file = d.at("file").get<std::string>(),
                                  .read_only = d.at("read_only").get<bool>(),
                                  .format = d.at("format").get<std::string>(),
                                  .bus = bus_from(d.at("bus").get<std::string>()),
                                  .snapshot = d.at("snapshot").get<bool>(),
                                  .serial = d.value("serial", std::string())});
        if (j.contains("persistent_memory"))
            spec.persistent_memory = PersistentMemory{j["persistent_memory"].at("file").get<std::string>(),
                                                      j["persistent_memory"].at("size_bytes").get<std::uint64_t>()};
        for (const auto& f : j.value("shared_folders", json::array()))
            spec.shared_folders.push_back({.folder = f.at("folder").get<std::string>(),
                                           .tag = f.at("tag").get<std::string>(),
                                           .read_only = f.at("read_only").get<bool>()});
        const auto& network = j.at("network");
        auto kind = network.at("kind").get<std::string>();
        if (kind == "user") {
            UserNetwork user;
            for (const auto& p : network.at("ports"))
                user.ports.push_back(port_from(p));
            spec.network = user;
        } else if (kind == "tap") {
            spec.network = TapNetwork{network.at("device").get<std::string>()};
        } else if (kind == "bridge") {
            spec.network = BridgeNetwork{network.at("bridge").get<std::string>(), network.at("helper").get<std::string>()};
        } else {
            spec.network = NoNetwork{};
        }
        if (j.contains("debugger"))
            spec.debugger = Debugger{j["debugger"].at("port").get<std::uint16_t>(), j["debugger"].at("wait").get<bool>()};
        return spec;
    } catch (const json::exception& e) {
        return fail(ErrorKind::invalid_input, "not a VM description uk wrote ({})", e.what());
    }
}

} // namespace uk::vm
