#include "elf/strip.hpp"

#include "core/files.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <vector>

namespace uk::elf {

Result<std::optional<std::string>> strip_copy(const std::filesystem::path& path)
{
    auto contents = read_file(path);
    if (!contents)
        return fail(contents.error());
    const std::string& in = *contents;
    Elf64_Ehdr header;
    if (in.size() < sizeof header || std::memcmp(in.data(), ELFMAG, SELFMAG) != 0 || in[EI_CLASS] != ELFCLASS64 ||
        in[EI_DATA] != ELFDATA2LSB)
        return std::optional<std::string>{};
    std::memcpy(&header, in.data(), sizeof header);
    if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shnum == 0 || header.e_shstrndx >= header.e_shnum ||
        header.e_shoff + header.e_shnum * sizeof(Elf64_Shdr) > in.size())
        return std::optional<std::string>{};
    std::vector<Elf64_Shdr> sections(header.e_shnum);
    std::memcpy(sections.data(), in.data() + header.e_shoff, header.e_shnum * sizeof(Elf64_Shdr));

    // Allocated sections first (index order), then the rest: else leave the file alone.
    std::size_t first_unallocated = sections.size();
    for (std::size_t i = 1; i < sections.size(); i++) {
        bool allocated = (sections[i].sh_flags & SHF_ALLOC) != 0;
        if (!allocated && first_unallocated == sections.size())
            first_unallocated = i;
        else if (allocated && first_unallocated != sections.size())
            return std::optional<std::string>{};
    }
    if (first_unallocated == sections.size())
        return std::optional<std::string>{}; // nothing to strip

    // Everything mapped, by segments and allocated sections, ends here.
    std::uint64_t end = header.e_phoff + std::uint64_t{header.e_phnum} * header.e_phentsize;
    for (std::uint16_t i = 0; i < header.e_phnum; i++) {
        Elf64_Phdr segment;
        std::memcpy(&segment, in.data() + header.e_phoff + i * sizeof segment, sizeof segment);
        end = std::max<std::uint64_t>(end, segment.p_offset + segment.p_filesz);
    }
    for (std::size_t i = 1; i < first_unallocated; i++)
        if (sections[i].sh_type != SHT_NOBITS)
            end = std::max<std::uint64_t>(end, sections[i].sh_offset + sections[i].sh_size);
    // Unallocated sections inside that range would be cut in half: leave the file alone.
    for (std::size_t i = first_unallocated; i < sections.size(); i++)
        if (sections[i].sh_offset < end && sections[i].sh_size > 0 && sections[i].sh_type != SHT_NOBITS)
            return std::optional<std::string>{};
    const auto& names = sections[header.e_shstrndx];
    if (end > in.size() || names.sh_offset + names.sh_size > in.size())
        return std::optional<std::string>{};

    auto align8 = [](std::uint64_t value) { return (value + 7) & ~std::uint64_t{7}; };
    std::string out = in.substr(0, end);
    out.resize(align8(out.size()), '\0');
    Elf64_Shdr new_names = names;
    new_names.sh_offset = out.size();
    out.append(in, names.sh_offset, names.sh_size);
    out.resize(align8(out.size()), '\0');
    Elf64_Ehdr new_header = header;
    new_header.e_shoff = out.size();
    new_header.e_shnum = static_cast<std::uint16_t>(first_unallocated + 1);
    new_header.e_shstrndx = static_cast<std::uint16_t>(first_unallocated);
    for (std::size_t i = 0; i < first_unallocated; i++)
        out.append(reinterpret_cast<const char*>(&sections[i]), sizeof(Elf64_Shdr));
    out.append(reinterpret_cast<const char*>(&new_names), sizeof new_names);
    std::memcpy(out.data(), &new_header, sizeof new_header);
    return std::optional<std::string>(std::move(out));
}

} // namespace uk::elf
