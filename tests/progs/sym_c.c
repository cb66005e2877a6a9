/*
 * sym_c - a plain C call chain, a static function, a function with an asm
 * label and addresses with no symbol.
 */
#include "sym_common.h"

static void leaf_static(void)
{
	sym_pc("static");
}

void leaf(void)
{
	sym_print("caller-of-leaf", __builtin_return_address(0));
	sym_pc("leaf");
	leaf_static();
}

/* Renamed in the object file, as glibc does with its internal aliases. */
void labelled(void) __asm__("sym_c_asm_label");
void labelled(void)
{
	sym_pc("asm-label");
}

void middle(void)
{
	leaf();
}

int main(void)
{
	struct link_map *exe = NULL;

	sym_print_modules();
	middle();
	sym_pc("main");
	labelled();
	/* The ELF header: mapped, but in no function. */
	exe = _r_debug.r_map;
	sym_print("header", (void *)(exe->l_addr + 0x11));
	sym_print("nowhere", (void *)0x11);
	return 0;
}
