// uk doctor: one screen of what uk will use here and what is missing, each problem with
// its fix; --json of the same. The exit status is 69 when uk run cannot work here.
#include "cli/command.hpp"
#include "cli/json_output.hpp"
#include "core/exit_status.hpp"
#include "core/log.hpp"
#include "doctor/doctor.hpp"

#include <memory>

namespace uk::cli {
namespace {

struct DoctorOptions {
    bool json = false;
};

log::Colour colour_of(doctor::Severity severity)
{
    switch (severity) {
    case doctor::Severity::ok: return log::Colour::green;
    case doctor::Severity::warning: return log::Colour::yellow;
    case doctor::Severity::error: return log::Colour::red;
    }
    return log::Colour::none;
}

void print_report(const doctor::Report& report)
{
    std::size_t warnings = 0, errors = 0, width = 0;
    for (const auto& finding : report.findings) {
        warnings += finding.severity == doctor::Severity::warning;
        errors += finding.severity == doctor::Severity::error;
        width = std::max(width, finding.topic.size());
    }
    if (!log::quiet())
        log::result(fmt::format("uk {}: {}, {}", UK_VERSION,
                                errors ? fmt::format("{} error{}", errors, errors > 1 ? "s" : "") : "no errors",
                                warnings ? fmt::format("{} warning{}", warnings, warnings > 1 ? "s" : "")
                                         : "no warnings"));
    for (const auto& finding : report.findings) {
        if (log::quiet() && finding.severity == doctor::Severity::ok)
            continue;
        auto status = doctor::to_string(finding.severity);
        // Padding outside the colour codes, so the columns line up either way.
        auto line = fmt::format("{}{:<{}}  {:<{}}  {}", log::paint(status, colour_of(finding.severity)), "",
                                7 - status.size(), finding.topic, width, finding.summary);
        if (!finding.fix.empty())
            line += "; to fix: " + finding.fix;
        log::result(line);
        if (log::verbose())
            for (const auto& [key, value] : finding.details.items())
                log::result(fmt::format("{:<{}}{}: {}", "", 11 + width, key,
                                        value.is_string() ? value.get<std::string>() : value.dump()));
    }
}

Result<int> run_doctor(const DoctorOptions& options, const Context& context)
{
    doctor::Host host;
    host.environment = context.environment;
    auto report = doctor::examine(host);
    if (options.json)
        log::result(json_text(doctor::to_json(report)));
    else
        print_report(report);
    if (report.has_errors()) {
        std::vector<std::string> topics;
        for (const auto& finding : report.findings)
            if (finding.severity == doctor::Severity::error)
                topics.push_back(finding.topic);
        std::string named = topics.back();
        if (topics.size() > 1) {
            named = topics.front();
            for (std::size_t i = 1; i + 1 < topics.size(); i++)
                named += ", " + topics[i];
            named += " and " + topics.back();
        }
        return fail(ErrorKind::unavailable, "uk cannot run VMs on this machine until {} {} fixed (see above)", named,
                    topics.size() > 1 ? "are" : "is");
    }
    return exit_success;
}

} // namespace

Action declare_doctor(CLI::App& command, const Context& context)
{
    auto options = std::make_shared<DoctorOptions>();
    command.add_flag("--json", options->json, "Print the findings as JSON (docs/json.md)");
    command.footer("Each line is ok, warning (works, but slower, or an optional feature is missing) or error "
                   "(uk run cannot work), and says how to fix what it reports. The exit status is 69 when there is "
                   "an error, 0 otherwise.\n"
                   "Examples:\n"
                   "  uk doctor                              # one screen\n"
                   "  uk doctor -q                           # only what is not ok\n"
                   "  uk doctor --json | jq '.findings[] | select(.topic == \"accelerator\")'");
    return [options, &context] { return run_doctor(*options, context); };
}

} // namespace uk::cli
