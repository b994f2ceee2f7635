// SPDX-License-Identifier: GPL-2.0
/*
 * elfout.c - see elfout.h.  The section headers are taken from libelf
 * (gelf_getshdr(), as kelf.c read them), so only the appended tail is
 * laid out here: [.shstrtab + name][note][Elf64_Shdr x (n + 1)].
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfout.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

struct tail {
	uint8_t *buf;
	uint64_t size;		/* bytes in buf */
	uint64_t base;		/* file offset of buf[0] */
	uint64_t shoff;
	size_t shnum, shstrndx;
};

static int write_all(int fd, const uint8_t *p, uint64_t len, struct diag *d)
{
	while (len) {
		ssize_t n = write(fd, p, len > (1u << 30) ? (1u << 30) : len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return diag_set(d, "write failed: %s", strerror(errno));
		}
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static void put_shdr(uint8_t *p, const GElf_Shdr *sh)
{
	Elf64_Shdr s = {
		.sh_name = sh->sh_name, .sh_type = sh->sh_type,
		.sh_flags = sh->sh_flags, .sh_addr = sh->sh_addr,
		.sh_offset = sh->sh_offset, .sh_size = sh->sh_size,
		.sh_link = sh->sh_link, .sh_info = sh->sh_info,
		.sh_addralign = sh->sh_addralign, .sh_entsize = sh->sh_entsize,
	};

	memcpy(p, &s, sizeof(s));	/* host is x86-64/LE like the image */
}

/* Lay out the tail: grown .shstrtab, note, section headers. */
static int build_tail(const struct image *im, const char *secname,
		      const uint8_t *data, size_t len, struct tail *t,
		      struct diag *d)
{
	const struct kelf *k = im->k;
	const struct ksec *str;
	uint64_t str_off, note_off, name_off, namelen = strlen(secname) + 1;
	GElf_Shdr sh;
	size_t i;

	if (elf_getshdrstrndx(k->elf, &t->shstrndx) || t->shstrndx >= k->nsec ||
	    !(str = &k->sec[t->shstrndx])->data)
		return diag_set(d, "no section name string table");
	t->base = im->size;
	str_off = t->base;
	name_off = str->size;
	note_off = align_up(str_off + str->size + namelen, 4);
	t->shoff = align_up(note_off + len, 8);
	t->shnum = k->nsec + 1;
	t->size = t->shoff + t->shnum * sizeof(Elf64_Shdr) - t->base;
	t->buf = calloc(1, t->size);
	if (!t->buf)
		return diag_set(d, "out of memory");
	memcpy(t->buf, str->data, str->size);
	memcpy(t->buf + str->size, secname, namelen);
	memcpy(t->buf + (note_off - t->base), data, len);
	for (i = 0; i < k->nsec; i++) {
		if (!gelf_getshdr(elf_getscn(k->elf, i), &sh))
			return diag_set(d, "unreadable section header %zu: %s", i, elf_errmsg(-1));
		if (i == 0 && sh.sh_size)	/* extended numbering: count lives here */
			sh.sh_size = t->shnum;
		if (i == t->shstrndx) {
			sh.sh_offset = str_off;
			sh.sh_size = str->size + namelen;
		}
		put_shdr(t->buf + (t->shoff - t->base) + i * sizeof(Elf64_Shdr), &sh);
	}
	memset(&sh, 0, sizeof(sh));
	sh.sh_name = (GElf_Word)name_off;
	sh.sh_type = SHT_NOTE;
	sh.sh_offset = note_off;
	sh.sh_size = len;
	sh.sh_addralign = 4;
	put_shdr(t->buf + (t->shoff - t->base) + k->nsec * sizeof(Elf64_Shdr), &sh);
	return 0;
}

/* The ELF header of the output: new section header table. */
static void patch_ehdr(uint8_t *hdr, const struct tail *t)
{
	Elf64_Ehdr eh;

	memcpy(&eh, hdr, sizeof(eh));
	eh.e_shoff = t->shoff;
	eh.e_shnum = t->shnum < SHN_LORESERVE ? (Elf64_Half)t->shnum : 0;
	memcpy(hdr, &eh, sizeof(eh));
}

static int write_file(int fd, const struct image *im, const struct tail *t,
		      struct diag *d)
{
	uint8_t hdr[sizeof(Elf64_Ehdr)];

	memcpy(hdr, im->buf, sizeof(hdr));
	patch_ehdr(hdr, t);
	if (write_all(fd, hdr, sizeof(hdr), d) ||
	    write_all(fd, im->buf + sizeof(hdr), im->size - sizeof(hdr), d) ||
	    write_all(fd, t->buf, t->size, d))
		return -1;
	return 0;
}

int elfout_write(const char *out, const struct image *im, const char *secname,
		 const uint8_t *data, size_t len, struct diag *d)
{
	struct tail t = { NULL, 0, 0, 0, 0, 0 };
	size_t n = strlen(out);
	char *tmp = malloc(n + 8);
	struct stat st;
	int fd = -1;

	if (!tmp)
		return diag_set(d, "out of memory");
	if (build_tail(im, secname, data, len, &t, d))
		goto fail;
	snprintf(tmp, n + 8, "%s.XXXXXX", out);
	fd = mkstemp(tmp);
	if (fd < 0) {
		diag_set(d, "cannot create a temporary file next to it: %s", strerror(errno));
		goto fail_notmp;
	}
	if (write_file(fd, im, &t, d))
		goto fail;
	if (!fstat(im->k->fd, &st))
		fchmod(fd, st.st_mode & 0777);
	if (fsync(fd) || close(fd)) {
		fd = -1;
		diag_set(d, "cannot write: %s", strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, out)) {
		diag_set(d, "cannot rename %s to it: %s", tmp, strerror(errno));
		goto fail;
	}
	free(t.buf);
	free(tmp);
	return 0;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
fail_notmp:
	free(t.buf);
	free(tmp);
	return -1;
}
