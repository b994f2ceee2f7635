// SPDX-License-Identifier: GPL-2.0
/*
 * mkelf.c - write a minimal ELF header of a chosen shape, for the
 * bad-input tests of rund-prepatch (no 32-bit toolchain is needed).
 *
 *   mkelf elf32  OUT   ELFCLASS32 EM_386 ET_EXEC header
 *   mkelf arm64  OUT   ELFCLASS64 EM_AARCH64 ET_EXEC header
 *   mkelf dyn    OUT   ELFCLASS64 EM_X86_64 ET_DYN header
 *   mkelf bigend OUT   ELFCLASS64 ELFDATA2MSB header
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

static void ident(unsigned char *id, int cls, int data)
{
	memcpy(id, ELFMAG, SELFMAG);
	id[EI_CLASS] = cls;
	id[EI_DATA] = data;
	id[EI_VERSION] = EV_CURRENT;
	id[EI_OSABI] = ELFOSABI_SYSV;
}

static int write_out(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static int elf64(const char *path, int data, int machine, int type)
{
	Elf64_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	ident(eh.e_ident, ELFCLASS64, data);
	eh.e_type = type;
	eh.e_machine = machine;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	if (data == ELFDATA2MSB) {	/* byte-swap the fields libelf reads */
		eh.e_type = __builtin_bswap16(eh.e_type);
		eh.e_machine = __builtin_bswap16(eh.e_machine);
		eh.e_version = __builtin_bswap32(eh.e_version);
		eh.e_ehsize = __builtin_bswap16(eh.e_ehsize);
		eh.e_shentsize = __builtin_bswap16(eh.e_shentsize);
	}
	return write_out(path, &eh, sizeof(eh));
}

static int elf32(const char *path)
{
	Elf32_Ehdr eh;

	memset(&eh, 0, sizeof(eh));
	ident(eh.e_ident, ELFCLASS32, ELFDATA2LSB);
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_386;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf32_Shdr);
	return write_out(path, &eh, sizeof(eh));
}

int main(int argc, char **argv)
{
	if (argc != 3)
		goto usage;
	if (!strcmp(argv[1], "elf32"))
		return elf32(argv[2]);
	if (!strcmp(argv[1], "arm64"))
		return elf64(argv[2], ELFDATA2LSB, EM_AARCH64, ET_EXEC);
	if (!strcmp(argv[1], "dyn"))
		return elf64(argv[2], ELFDATA2LSB, EM_X86_64, ET_DYN);
	if (!strcmp(argv[1], "bigend"))
		return elf64(argv[2], ELFDATA2MSB, EM_X86_64, ET_EXEC);
usage:
	fprintf(stderr, "usage: mkelf elf32|arm64|dyn|bigend OUT\n");
	return 2;
}
