#include "cli/command_tree.hpp"

namespace uk::cli {
namespace {

bool visible(const CLI::App* app) { return !app->get_group().empty(); }

OptionText describe_option(const CLI::Option* option)
{
    OptionText text;
    for (const auto& s : option->get_snames())
        text.flags.push_back("-" + s);
    for (const auto& l : option->get_lnames())
        text.flags.push_back("--" + l);
    if (option->get_positional() && text.flags.empty())
        text.name = option->get_name(true, false);
    if (option->get_type_size() != 0)
        text.value = option->get_type_name();
    text.description = option->get_description();
    text.required = option->get_required();
    text.repeatable = option->get_expected_max() == CLI::detail::expected_max_vector_size ||
                      option->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
    return text;
}

void describe(const CLI::App& app, std::vector<std::string> path, std::vector<CommandText>& out)
{
    CommandText text;
    text.path = path;
    text.summary = app.get_description();
    text.footer = app.get_footer();
    text.aliases = app.get_aliases();
    auto subcommands = app.get_subcommands([](const CLI::App* sub) { return visible(sub); });
    for (const auto* sub : subcommands)
        text.subcommands.push_back(sub->get_name());
    std::vector<OptionText> positionals;
    for (const auto* option : app.get_options()) {
        if (option->get_group().empty())
            continue;
        auto described = describe_option(option);
        (described.flags.empty() ? positionals : text.options).push_back(std::move(described));
    }
    text.options.insert(text.options.end(), positionals.begin(), positionals.end());
    out.push_back(std::move(text));
    for (const auto* sub : subcommands) {
        auto sub_path = path;
        sub_path.push_back(sub->get_name());
        describe(*sub, std::move(sub_path), out);
    }
}

} // namespace

std::string CommandText::usage() const
{
    std::string line = "uk";
    for (const auto& word : path)
        line += " " + word;
    if (!subcommands.empty())
        line += " COMMAND";
    bool has_named = false;
    for (const auto& option : options)
        has_named |= !option.flags.empty();
    if (has_named)
        line += " [OPTIONS]";
    for (const auto& option : options) {
        if (!option.flags.empty())
            continue;
        auto word = option.name + (option.repeatable ? "..." : "");
        line += " " + (option.required ? word : "[" + word + "]");
    }
    return line;
}

std::vector<CommandText> describe_commands(const CLI::App& root)
{
    std::vector<CommandText> out;
    describe(root, {}, out);
    return out;
}

} // namespace uk::cli
