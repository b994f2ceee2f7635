// SPDX-License-Identifier: GPL-2.0
/*
 * insncheck.c - print "ADDR LEN" for each instruction of a linear sweep
 * over a section of a vmlinux with rund-prepatch's decoder (insn.c), or
 * "ADDR bad" where it refuses; tests/run.sh compares with objdump -d.
 *
 *   insncheck VMLINUX SECTION [MAXBYTES]
 */
#include <stdio.h>
#include <stdlib.h>

#include "../insn.h"
#include "../kelf.h"

int main(int argc, char **argv)
{
	const struct ksec *s;
	struct diag d;
	struct insn insn;
	struct kelf k;
	uint64_t i = 0, max;

	if (argc < 3)
		return 2;
	if (kelf_open(&k, argv[1], &d) || !(s = kelf_section(&k, argv[2])) || !s->data) {
		fprintf(stderr, "insncheck: %s: %s\n", argv[1], d.msg);
		return 2;
	}
	max = argc > 3 ? strtoull(argv[3], NULL, 0) : s->size;
	if (max > s->size)
		max = s->size;
	while (i < max) {
		if (insn_decode(&insn, s->data + i, s->size - i)) {
			printf("%llx bad\n", (unsigned long long)(s->addr + i));
			i++;
			continue;
		}
		printf("%llx %u\n", (unsigned long long)(s->addr + i), insn.length);
		i += insn.length;
	}
	kelf_close(&k);
	return 0;
}
