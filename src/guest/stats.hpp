// The guest's figures as uk-init's stats agent gives them (src/uk-init/agent.h): asked
// with "stats ID" over the instance's agent socket, answered with one JSON line read
// from the guest's /proc. docs/json.md lists the fields.
#pragma once

#include "core/error.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

namespace uk::guest {

struct GuestStats {
    double uptime_s = 0;
    struct {
        unsigned count = 0;
        double busy_s = 0; // CPU time spent on anything but idling, all CPUs together
        double idle_s = 0;
        std::array<double, 3> load{}; // 1, 5 and 15 minutes
    } cpu;
    struct {
        std::uint64_t total_kib = 0, used_kib = 0, free_kib = 0, available_kib = 0, page_cache_kib = 0;
        // Where it goes (/proc/meminfo's words): the tmpfs layers, programs' anonymous
        // memory, the kernel's slab, stacks, page tables and per-CPU areas, and its image
        // (text, data, bss: part of what the guest never gets, RAM minus total_kib).
        std::uint64_t shmem_kib = 0, anon_kib = 0, slab_reclaimable_kib = 0, slab_unreclaimable_kib = 0,
                      kernel_stack_kib = 0, page_tables_kib = 0, percpu_kib = 0, kernel_image_kib = 0;
    } memory;
    struct {
        std::uint64_t rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0;
    } network;
    struct {
        std::uint64_t reads = 0, read_bytes = 0, writes = 0, written_bytes = 0;
    } disk;
    struct {
        unsigned processes = 0; // the program and what it started
        std::uint64_t rss_kib = 0;
        std::uint64_t rss_anon_kib = 0, rss_file_kib = 0; // its own memory, and the files it maps (its text)
        double cpu_s = 0;
    } program;
};

// The agent's answer line to "stats `id`".
Result<GuestStats> parse_stats_answer(std::string_view line, std::uint64_t id);

// Connects to the agent socket, asks, and waits at most `timeout` for the answer.
Result<GuestStats> ask_stats(const std::filesystem::path& agent_socket, std::chrono::milliseconds timeout);

nlohmann::json to_json(const GuestStats& stats);

} // namespace uk::guest
