/* SPDX-License-Identifier: GPL-2.0 */
/*
 * synth.S - a tiny "vmlinux" with one or more boot-time patch sites of
 * every kind, for the apply tests (tests/run.sh links it with ld into an
 * ET_EXEC at the kernel's address and checks each site against the bytes
 * the 6.1 algorithm produces, computed by tests/expect.py).
 *
 * Site labels are global so the tests can find them with nm.
 * Features used: bit 5 (word 0) and bit 40 (word 1, bit 8) set in
 * tests/synth.caps; bit 6 and bit 41 clear.
 */
#define ALT(orig_lbl, repl_lbl, feat, olen, rlen)	\
	.pushsection .altinstructions, "a";		\
	.long orig_lbl - .;				\
	.long repl_lbl - .;				\
	.word feat;					\
	.byte olen, rlen;				\
	.popsection

#define PARA(site, type, len)				\
	.pushsection .parainstructions, "a";		\
	.balign 8;					\
	.quad site;					\
	.byte type, len;				\
	.short 0;					\
	.long 0;					\
	.popsection

/* struct static_call_site: s32 addr, s32 key (bit 0: tail call) */
#define SC(site, key, tail)				\
	.long site - .;					\
	.long key + tail - .

#define S32(sec, site)					\
	.pushsection sec, "a";				\
	.long site - .;					\
	.popsection

	.section .text, "ax"
	.globl _text, _etext
_text:
	.balign 64

/* --- alternatives --------------------------------------------------- */
	.globl alt_call, alt_unset, alt_inv, alt_jshort, alt_jfar, alt_jback, alt_two
	.globl func_a, func_b, near_tgt, far_tgt, back_tgt
back_tgt:
	ret
func_a:
	ret
func_b:
	ret
/* feature set: call func_a -> call func_b (CALL displacement fix-up) */
alt_call:
	call func_a
ALT(alt_call, r_call, 5, 5, 5)
/* feature clear: stays; the 0x90 padding becomes one long NOP */
alt_unset:
	xor %eax, %eax
	.byte 0x90, 0x90, 0x90, 0x90
ALT(alt_unset, r_unset, 6, 6, 6)
/* inverted, feature clear: patched; 2 bytes of padding -> 66 90 */
alt_inv:
	.byte 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90
ALT(alt_inv, r_inv, 0x8006, 7, 5)
/* JMP replacement whose target is near: recompute_jump() makes it jmp8 */
alt_jshort:
	.byte 0x90, 0x90, 0x90, 0x90, 0x90
ALT(alt_jshort, r_jshort, 40, 5, 5)
	.byte 0xcc, 0xcc
near_tgt:
	ret
/* JMP replacement far away: stays jmp32 with the displacement fixed */
alt_jfar:
	.byte 0x90, 0x90, 0x90, 0x90, 0x90
ALT(alt_jfar, r_jfar, 40, 5, 5)
/* JMP backwards: 6.1 always keeps the 5-byte form for negative offsets */
alt_jback:
	.byte 0x90, 0x90, 0x90, 0x90, 0x90
ALT(alt_jback, r_jback, 40, 5, 5)
/* two alternatives on one site (ALTERNATIVE_2): the later one wins */
alt_two:
	.byte 0x90, 0x90, 0x90, 0x90, 0x90, 0x90
ALT(alt_two, r_two1, 5, 6, 3)
ALT(alt_two, r_two2, 40, 6, 2)
	.skip 200, 0xcc
far_tgt:
	ret

/* --- paravirt ------------------------------------------------------- */
	.globl pv_call, pv_nop, pv_null, pv_target, _paravirt_nop, paravirt_BUG
pv_target:
	ret
_paravirt_nop:
	ret
paravirt_BUG:
	ud2
pv_call:				/* call *pv_ops+8(%rip): 6 bytes */
	.byte 0xff, 0x15, 0, 0, 0, 0
PARA(pv_call, 1, 6)
pv_nop:
	.byte 0xff, 0x15, 0, 0, 0, 0
PARA(pv_nop, 2, 6)
pv_null:
	.byte 0xff, 0x15, 0, 0, 0, 0
PARA(pv_null, 3, 6)

/* --- retpolines / return thunks ------------------------------------- */
	.globl __x86_indirect_thunk_array, __x86_return_thunk
	.globl rp_call, rp_jmp, rp_jcc, ret_site, ret_tramp
	.balign 32
__x86_indirect_thunk_array:
	.skip 16 * 32, 0xcc
__x86_return_thunk:
	ret
	int3
rp_call:				/* call __x86_indirect_thunk_rbx */
	call __x86_indirect_thunk_array + 3 * 32
S32(.retpoline_sites, rp_call)
rp_jmp:					/* jmp __x86_indirect_thunk_r11 */
	jmp __x86_indirect_thunk_array + 11 * 32
S32(.retpoline_sites, rp_jmp)
rp_jcc:					/* jne __x86_indirect_thunk_rax (rel32) */
	.byte 0x0f, 0x85
	.long __x86_indirect_thunk_array - (. + 4)
S32(.retpoline_sites, rp_jcc)
ret_site:				/* jmp __x86_return_thunk */
	.byte 0xe9
	.long __x86_return_thunk - (. + 4)
S32(.return_sites, ret_site)
ret_tramp:				/* static_call trampoline: jmp; ud1 */
	.byte 0xe9
	.long __x86_return_thunk - (. + 4)
	.byte 0x0f, 0xb9, 0xcc
S32(.return_sites, ret_tramp)

/* --- ENDBR, lock prefixes ------------------------------------------- */
	.globl endbr_site, lock_site
endbr_site:
	.byte 0xf3, 0x0f, 0x1e, 0xfa
S32(.ibt_endbr_seal, endbr_site)
lock_site:
	lock incl (%rax)
S32(.smp_locks, lock_site)
	ret

/* --- static calls (table in .data, below) ----------------------------- */
	.globl sc_call, sc_null, sc_ret0, sc_tail, sc_jcc, sc_tailnull, sc_same
	.globl __static_call_return0, __SCT__a
__static_call_return0:
	xor %eax, %eax
	ret
__SCT__a:				/* trampoline: jmp func_a; ud1 */
	.byte 0xe9
	.long func_a - (. + 4)
	.byte 0x0f, 0xb9, 0xcc
sc_call:				/* key_b -> call func_b */
	call __SCT__a
sc_null:				/* NULL -> NOP5 */
	call __SCT__a
sc_ret0:				/* __static_call_return0 -> xor %eax,%eax */
	call __SCT__a
sc_tail:				/* tail, key_b -> jmp func_b */
	.byte 0xe9
	.long __SCT__a - (. + 4)
sc_jcc:					/* tail Jcc, key_b -> jne func_b */
	.byte 0x0f, 0x85
	.long __SCT__a - (. + 4)
sc_tailnull:				/* tail, NULL: left to the boot */
	.byte 0xe9
	.long __SCT__a - (. + 4)
sc_same:				/* already call func_b: not written */
	call func_b
	ret
_etext:

/* --- replacements ---------------------------------------------------- */
	.section .altinstr_replacement, "ax"
r_call:
	call func_b
r_unset:
	.byte 0x0f, 0x0b, 0x0f, 0x0b, 0x0f, 0x0b
r_inv:
	mov $1, %eax
r_jshort:
	jmp near_tgt
r_jfar:
	jmp far_tgt
r_jback:
	jmp back_tgt
r_two1:
	.byte 0x0f, 0x0b, 0x90
r_two2:
	xor %eax, %eax

	.section .data, "aw"
	.balign 8
key_b:					/* struct static_call_key: func, sites */
	.quad func_b, 0
key_null:
	.quad 0, 0
key_ret0:
	.quad __static_call_return0, 0
	.globl __start_static_call_sites, __stop_static_call_sites
__start_static_call_sites:
	SC(sc_call, key_b, 0)
	SC(sc_null, key_null, 0)
	SC(sc_ret0, key_ret0, 0)
	SC(sc_tail, key_b, 1)
	SC(sc_jcc, key_b, 1)
	SC(sc_tailnull, key_null, 1)
	SC(sc_same, key_b, 0)
__stop_static_call_sites:

	.section .rodata, "a"
	.globl linux_banner
	.type linux_banner, @object
linux_banner:
	.asciz "Linux version 6.1.0-synth (test@rund) #1 SMP\n"
	.size linux_banner, . - linux_banner
