// SPDX-License-Identifier: GPL-2.0
/*
 * kelf.h - read-only view of a linked x86-64 vmlinux.
 *
 * Opens the file with libelf (as tools/objtool/elf.c does), validates that
 * it is an ELF64 little-endian EM_X86_64 ET_EXEC image whose section
 * headers and section contents all lie inside the file, and offers:
 * lookup of sections by name, mapping of a kernel virtual address range to
 * the file bytes of the section holding it, and symbol lookup.
 */
#ifndef RUND_PREPATCH_KELF_H
#define RUND_PREPATCH_KELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libelf.h>

#include "diag.h"

/* One section header, flattened (mirrors GElf_Shdr plus its bytes). */
struct ksec {
	const char *name;
	size_t index;
	uint32_t type;		/* SHT_* */
	uint64_t flags;		/* SHF_* */
	uint64_t addr;		/* sh_addr: kernel virtual address */
	uint64_t offset;	/* sh_offset */
	uint64_t size;		/* sh_size */
	const uint8_t *data;	/* raw file bytes, NULL for SHT_NOBITS */
};

struct kelf {
	const char *path;
	int fd;
	Elf *elf;
	uint64_t file_size;
	size_t nsec;
	struct ksec *sec;	/* indexed by ELF section index */
	const struct ksec *symtab;
	const struct layout *layout;	/* set by kversion_read() */
};

int kelf_open(struct kelf *k, const char *path, struct diag *d);
void kelf_close(struct kelf *k);

/* First section called @name, or NULL. */
const struct ksec *kelf_section(const struct kelf *k, const char *name);

/* True for allocated, file-backed, executable sections (kernel text). */
bool ksec_is_text(const struct ksec *s);

/*
 * The allocated, file-backed section holding all of [va, va + len), or
 * NULL.  len 0 is treated as 1.  The range check is overflow-safe.
 */
const struct ksec *kelf_section_at(const struct kelf *k, uint64_t va,
				   uint64_t len);

/* File bytes for [va, va + len) or NULL; *secp (if non-NULL) gets the section. */
const uint8_t *kelf_va_bytes(const struct kelf *k, uint64_t va, uint64_t len,
			     const struct ksec **secp);

/* Value and size of the symbol @name from .symtab. */
int kelf_symbol(const struct kelf *k, const char *name, uint64_t *value,
		uint64_t *size, struct diag *d);

/*
 * Name of the symbol covering @va (st_value <= va < st_value + st_size,
 * or st_value == va), preferring an exact start; *off gets va - st_value.
 * Returns NULL if none.  The string lives as long as @k.
 */
const char *kelf_symbol_at(const struct kelf *k, uint64_t va, uint64_t *off);

/* Little-endian field readers (the image is x86-64, whatever the host). */
static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline int32_t get_s32(const uint8_t *p)
{
	return (int32_t)get_u32(p);
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

#endif
