// SPDX-License-Identifier: GPL-2.0
/*
 * kelf.c - open and validate a linked x86-64 vmlinux (see kelf.h).
 *
 * Validation order follows what the checks depend on: ELF identity
 * (magic, class, byte order), then the ELF header (machine, type), then the
 * section header table bounds, then every section's bounds.  The model for
 * walking a linked vmlinux this way is scripts/sorttable.c and
 * arch/x86/tools/relocs.c; the libelf usage follows tools/objtool/elf.c
 * (elf_open_read(), read_sections()).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kelf.h"

static const char *elf_type_name(unsigned int t)
{
	switch (t) {
	case ET_NONE: return "ET_NONE";
	case ET_REL:  return "ET_REL, a relocatable object";
	case ET_EXEC: return "ET_EXEC";
	case ET_DYN:  return "ET_DYN, a shared object or PIE";
	case ET_CORE: return "ET_CORE, a core dump";
	default:      return "unknown type";
	}
}

/* e_ident checks: the parts of the header every later step relies on. */
static int check_ident(struct kelf *k, struct diag *d)
{
	char *id;
	size_t n;

	if (elf_kind(k->elf) != ELF_K_ELF)
		return diag_set(d, "not an ELF file");
	id = elf_getident(k->elf, &n);
	if (!id || n < EI_NIDENT)
		return diag_set(d, "truncated ELF identification");
	if (id[EI_CLASS] != ELFCLASS64)
		return diag_set(d, "not a 64-bit ELF file (class %s), need an x86-64 vmlinux",
				id[EI_CLASS] == ELFCLASS32 ? "ELFCLASS32" : "invalid");
	if (id[EI_DATA] != ELFDATA2LSB)
		return diag_set(d, "not a little-endian ELF file, need an x86-64 vmlinux");
	return 0;
}

/* ELF header: machine and type (a vmlinux is a fully linked ET_EXEC). */
static int check_ehdr(struct kelf *k, GElf_Ehdr *eh, struct diag *d)
{
	if (k->file_size < sizeof(Elf64_Ehdr))
		return diag_set(d, "truncated: file has %llu bytes, smaller than an ELF64 header",
				(unsigned long long)k->file_size);
	if (!gelf_getehdr(k->elf, eh))
		return diag_set(d, "unreadable ELF header: %s", elf_errmsg(-1));
	if (eh->e_machine != EM_X86_64)
		return diag_set(d, "not an x86-64 ELF file (e_machine %u)", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return diag_set(d, "not a linked kernel image: ELF type is %s, need ET_EXEC (vmlinux)",
				elf_type_name(eh->e_type));
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return diag_set(d, "bad section header entry size %u", eh->e_shentsize);
	return 0;
}

/* The section header table must lie inside the file. */
static int check_shdr_table(struct kelf *k, const GElf_Ehdr *eh, struct diag *d)
{
	uint64_t n = eh->e_shnum ? eh->e_shnum : 1;	/* 0: count in shdr[0] */
	uint64_t end = eh->e_shoff + n * sizeof(Elf64_Shdr);

	if (eh->e_shoff == 0)
		return diag_set(d, "no section header table");
	if (end < eh->e_shoff || end > k->file_size)
		return diag_set(d, "truncated: section header table ends at byte %llu, file has %llu bytes",
				(unsigned long long)end, (unsigned long long)k->file_size);
	if (elf_getshdrnum(k->elf, &k->nsec) || k->nsec == 0)
		return diag_set(d, "unreadable section header table: %s", elf_errmsg(-1));
	if (eh->e_shoff + (uint64_t)k->nsec * sizeof(Elf64_Shdr) > k->file_size)
		return diag_set(d, "truncated: section header table (%zu entries) extends past end of file",
				k->nsec);
	return 0;
}

/* One section: header, name, bounds against the file, raw bytes. */
static int read_section(struct kelf *k, size_t shstrndx, size_t i,
			struct diag *d)
{
	struct ksec *s = &k->sec[i];
	Elf_Scn *scn = elf_getscn(k->elf, i);
	Elf_Data *data;
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh))
		return diag_set(d, "unreadable section header %zu: %s", i, elf_errmsg(-1));
	s->index = i;
	s->type = sh.sh_type;
	s->flags = sh.sh_flags;
	s->addr = sh.sh_addr;
	s->offset = sh.sh_offset;
	s->size = sh.sh_size;
	s->name = elf_strptr(k->elf, shstrndx, sh.sh_name);
	if (!s->name)
		return diag_set(d, "section %zu has no readable name", i);
	if (s->type == SHT_NOBITS || s->type == SHT_NULL || s->size == 0)
		return 0;
	if (s->offset + s->size < s->offset || s->offset + s->size > k->file_size)
		return diag_set(d, "truncated section %s: bytes %llu..%llu, file has %llu bytes",
				s->name, (unsigned long long)s->offset,
				(unsigned long long)(s->offset + s->size),
				(unsigned long long)k->file_size);
	data = elf_rawdata(scn, NULL);
	if (!data || data->d_size != s->size || !data->d_buf)
		return diag_set(d, "unreadable section %s: %s", s->name, elf_errmsg(-1));
	s->data = data->d_buf;
	if (s->type == SHT_SYMTAB && !k->symtab)
		k->symtab = s;
	return 0;
}

static int read_sections(struct kelf *k, struct diag *d)
{
	size_t shstrndx, i;

	if (elf_getshdrstrndx(k->elf, &shstrndx) || shstrndx >= k->nsec)
		return diag_set(d, "no section name string table");
	k->sec = calloc(k->nsec, sizeof(*k->sec));
	if (!k->sec)
		return diag_set(d, "out of memory");
	for (i = 1; i < k->nsec; i++)
		if (read_section(k, shstrndx, i, d))
			return -1;
	k->sec[0].name = "";
	return 0;
}

int kelf_open(struct kelf *k, const char *path, struct diag *d)
{
	GElf_Ehdr eh;
	struct stat st;

	memset(k, 0, sizeof(*k));
	k->path = path;
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0)
		return diag_set(d, "cannot open: %s", strerror(errno));
	if (fstat(k->fd, &st))
		return diag_set(d, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return diag_set(d, "not a regular file");
	k->file_size = (uint64_t)st.st_size;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return diag_set(d, "libelf: %s", elf_errmsg(-1));
	k->elf = elf_begin(k->fd, ELF_C_READ_MMAP, NULL);
	if (!k->elf)
		return diag_set(d, "libelf cannot read it: %s", elf_errmsg(-1));
	if (check_ident(k, d) || check_ehdr(k, &eh, d) ||
	    check_shdr_table(k, &eh, d) || read_sections(k, d))
		return -1;
	return 0;
}

void kelf_close(struct kelf *k)
{
	free(k->sec);
	if (k->elf)
		elf_end(k->elf);
	if (k->fd >= 0)
		close(k->fd);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

const struct ksec *kelf_section(const struct kelf *k, const char *name)
{
	size_t i;

	for (i = 1; i < k->nsec; i++)
		if (!strcmp(k->sec[i].name, name))
			return &k->sec[i];
	return NULL;
}

bool ksec_is_text(const struct ksec *s)
{
	return s->type == SHT_PROGBITS && (s->flags & SHF_ALLOC) &&
	       (s->flags & SHF_EXECINSTR);
}

static bool ksec_holds(const struct ksec *s, uint64_t va, uint64_t len)
{
	if (!(s->flags & SHF_ALLOC) || !s->data)
		return false;
	return va >= s->addr && va - s->addr <= s->size &&
	       len <= s->size - (va - s->addr);
}

const struct ksec *kelf_section_at(const struct kelf *k, uint64_t va,
				   uint64_t len)
{
	size_t i;

	if (!len)
		len = 1;
	for (i = 1; i < k->nsec; i++)
		if (ksec_holds(&k->sec[i], va, len))
			return &k->sec[i];
	return NULL;
}

const uint8_t *kelf_va_bytes(const struct kelf *k, uint64_t va, uint64_t len,
			     const struct ksec **secp)
{
	const struct ksec *s = kelf_section_at(k, va, len);

	if (secp)
		*secp = s;
	return s ? s->data + (va - s->addr) : NULL;
}

int kelf_symbol(const struct kelf *k, const char *name, uint64_t *value,
		uint64_t *size, struct diag *d)
{
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Shdr sh;
	GElf_Sym sym;
	size_t i, n;
	const char *s;

	if (!k->symtab)
		return diag_set(d, "no symbol table (.symtab), cannot find %s; is vmlinux stripped?",
				name);
	scn = elf_getscn(k->elf, k->symtab->index);
	if (!scn || !gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)) ||
	    !sh.sh_entsize)
		return diag_set(d, "unreadable symbol table: %s", elf_errmsg(-1));
	n = sh.sh_size / sh.sh_entsize;
	for (i = 1; i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym))
			return diag_set(d, "unreadable symbol %zu: %s", i, elf_errmsg(-1));
		s = elf_strptr(k->elf, sh.sh_link, sym.st_name);
		if (s && !strcmp(s, name)) {
			*value = sym.st_value;
			*size = sym.st_size;
			return 0;
		}
	}
	return diag_set(d, "symbol %s not found in .symtab", name);
}

/* Better candidate for kelf_symbol_at(): exact start, then named, then global. */
static bool sym_better(const GElf_Sym *a, const GElf_Sym *best, bool have)
{
	if (!have)
		return true;
	if (a->st_value != best->st_value)
		return a->st_value > best->st_value;
	return GELF_ST_BIND(a->st_info) == STB_GLOBAL &&
	       GELF_ST_BIND(best->st_info) != STB_GLOBAL;
}

const char *kelf_symbol_at(const struct kelf *k, uint64_t va, uint64_t *off)
{
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Shdr sh;
	GElf_Sym sym, best = { 0 };
	const char *name = NULL, *s;
	bool have = false;
	size_t i, n;

	if (!k->symtab || !(scn = elf_getscn(k->elf, k->symtab->index)) ||
	    !gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)) || !sh.sh_entsize)
		return NULL;
	n = sh.sh_size / sh.sh_entsize;
	for (i = 1; i < n; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION ||
		    GELF_ST_TYPE(sym.st_info) == STT_FILE || sym.st_value > va)
			continue;
		if (sym.st_value != va && va - sym.st_value >= sym.st_size)
			continue;
		s = elf_strptr(k->elf, sh.sh_link, sym.st_name);
		if (!s || !*s || !sym_better(&sym, &best, have))
			continue;
		best = sym;
		name = s;
		have = true;
	}
	if (name)
		*off = va - best.st_value;
	return name;
}
