/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Teaching mode: for the current screen, the commands a person would type
 * for what the wizard is doing and why (from the session, which knows the
 * system and devices), a glossary of our own, and the whole session saved
 * as a commented shell transcript.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "strv.h"
#include "tui.h"

const struct tui_term tui_glossary[] = {
	{ "initramfs", "A small archive the boot loader loads beside the kernel. It holds the drivers and tools "
		       "(for disks, LUKS, LVM) needed to find and mount the real root filesystem. Without a good "
		       "one the kernel starts but cannot mount root, and you land in an emergency shell." },
	{ "dracut", "The program that builds the initramfs on Fedora, RHEL, CentOS, openSUSE and others: "
		    "dracut --force --kver VERSION." },
	{ "update-initramfs", "Debian's and Ubuntu's way to build the initramfs (initramfs-tools): "
			      "update-initramfs -c -k VERSION creates one, -u updates it." },
	{ "LUKS", "The standard format of encrypted disks on Linux. A volume is opened (unlocked) with a "
		  "passphrase or a key file; cryptsetup open shows it as /dev/mapper/NAME." },
	{ "LVM", "Logical Volume Manager: disks or partitions (physical volumes) pooled into a volume group, "
		 "cut into logical volumes such as root and swap. vgchange -ay makes them appear." },
	{ "GRUB", "The boot loader of most distributions. Its menu lives in grub.cfg, written by grub-mkconfig "
		  "(update-grub on Debian) from /etc/default/grub and the kernels in /boot." },
	{ "BLS", "Boot Loader Specification: one small file per kernel in /boot/loader/entries, which GRUB "
		 "(on Fedora and RHEL) and systemd-boot read instead of a long grub.cfg." },
	{ "ESP", "EFI System Partition: a small FAT partition the firmware reads on UEFI machines. It holds "
		 "the boot loader, and on some systems a stub config pointing at /boot." },
	{ "SELinux label", "A security context stored with every file on SELinux systems (Fedora, RHEL). A file "
			   "written from a rescue system gets none; with enforcing mode the system may then refuse "
			   "to boot. setfiles or restorecon puts the right labels back." },
	{ "chroot", "Runs a command with another directory as /: here, the repaired system's own tools run "
		    "on its own files, with /proc, /sys and /dev mounted inside." },
	{ "journal (of a repair)", "Where rescue saves every file before it changes it, so 'Undo' (or rescue "
				   "undo) can put everything back." },
};
const size_t tui_n_glossary = ELEMENTSOF(tui_glossary);

/* The prefix on the first line, as many spaces on the others. */
static void add_split(char ***lines, const char *prefix, const char *text) {
	_cleanup_(strv_freep) char **parts = NULL;
	if (strv_split(text, "\n", &parts) < 0)
		return;
	bool first = true;
	STRV_FOREACH(p, parts) {
		_cleanup_free_ char *l = NULL;
		if (asprintf(&l, "%*s%s", first ? 0 : (int)strlen(prefix), first ? prefix : "", *p) >= 0)
			strv_extend(lines, l);
		first = false;
	}
}

void tui_build_teaching(struct tui *t, int phase, char ***ret_lines) {
	char **lines = NULL;
	if (phase < 0) {
		strv_extend(&lines, "Why: a system that stops in the emergency shell usually has a missing or "
				    "broken initramfs, a full /boot or a boot menu pointing at files that are gone.");
		strv_extend(&lines, "By hand you would look at the disks, unlock and mount the system, chroot into "
				    "it and rebuild what is broken with its own tools. Each step here shows how.");
		strv_extend(&lines, "  lsblk -f");
		strv_extend(&lines, "g: the glossary of the words used here.");
		*ret_lines = lines;
		return;
	}
	_cleanup_free_ char *cmds = NULL, *why = NULL;
	int r = rsc_session_explain_phase(t->m.session, (enum rsc_phase)phase, &cmds, &why);
	if (r < 0) {
		strv_extend(&lines, "Nothing to show for this step yet.");
		*ret_lines = lines;
		return;
	}
	if (why && *why) {
		/* The why is prose broken at 75 columns: one paragraph here,
		 * wrapped again to the panel's width. */
		for (char *c = why; *c; c++)
			if (*c == '\n')
				*c = ' ';
		add_split(&lines, "Why: ", why);
	}
	if (cmds && *cmds) {
		strv_extend(&lines, "You would type:");
		add_split(&lines, "  ", cmds);
	}
	*ret_lines = lines;
}

int tui_write_transcript(struct tui *t, const char *path) {
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	FILE *f = fopen(tmp, "we");
	if (!f)
		return negative_errno();
	const struct rsc_system *s = rsc_session_get_system(t->m.session);
	time_t now = time(NULL);
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	fprintf(f, "#!/bin/sh\n"
		   "# What the rescue wizard did for %s on %s, as the commands a person\n"
		   "# would type, each step with why. A record to learn from: read it before\n"
		   "# running any of it (the paths are those of this session).\n",
		s ? s->id : "no system", when);
	for (int p = 0; p < _RSC_PHASE_MAX; p++) {
		if (rsc_session_phase_state(t->m.session, (enum rsc_phase)p) != RSC_PHASE_DONE)
			continue;
		_cleanup_free_ char *cmds = NULL, *why = NULL;
		if (rsc_session_explain_phase(t->m.session, (enum rsc_phase)p, &cmds, &why) < 0)
			continue;
		fprintf(f, "\n# == %s ==\n", rsc_phase_to_string((enum rsc_phase)p));
		_cleanup_(strv_freep) char **w = NULL;
		if (why && strv_split(why, "\n", &w) >= 0)
			STRV_FOREACH(l, w)
				fprintf(f, "# %s\n", *l);
		if (cmds && *cmds)
			fprintf(f, "%s%s", cmds, cmds[strlen(cmds) - 1] == '\n' ? "" : "\n");
	}
	if (fflush(f) != 0 || ferror(f)) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fchmod(fileno(f), 0644);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int r = negative_errno();
		unlink(tmp);
		return r;
	}
	return 0;
}
