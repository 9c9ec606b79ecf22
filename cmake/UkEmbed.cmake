# uk_embed_file(TARGET SYMBOL FILE [DEPENDS target...])
#
# Links the bytes of FILE into TARGET as read-only data, between the symbols
# SYMBOL_begin and SYMBOL_end, with the assembler's .incbin: no giant generated C array,
# and the object is rebuilt whenever FILE changes.
function(uk_embed_file target symbol file)
    cmake_parse_arguments(EMBED "" "" "DEPENDS" ${ARGN})
    set(assembly "${CMAKE_CURRENT_BINARY_DIR}/embed_${symbol}.S")
    file(CONFIGURE OUTPUT "${assembly}" CONTENT [[
    .section .rodata.@symbol@,"a",@progbits
    .balign 64
    .globl @symbol@_begin
    .type @symbol@_begin, @object
@symbol@_begin:
    .incbin "@file@"
    .globl @symbol@_end
    .type @symbol@_end, @object
@symbol@_end:
    .section .note.GNU-stack,"",@progbits
]] @ONLY)
    target_sources(${target} PRIVATE "${assembly}")
    set_source_files_properties("${assembly}" PROPERTIES OBJECT_DEPENDS "${file}")
    if(EMBED_DEPENDS)
        add_dependencies(${target} ${EMBED_DEPENDS})
    endif()
endfunction()
