/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unlocking LUKS volumes through libcryptsetup (never by parsing headers
 * ourselves, never by running cryptsetup with a passphrase in argv).
 * Passphrases live only in crypt_safe_alloc() memory, which is locked and
 * wiped on free; they never reach the log, the journal or a report.
 */
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loop.h"
#include "rescue/assemble.h"
#include "scan-internal.h"
#include "strv.h"

#define PASSPHRASE_MAX 512

DEFINE_TRIVIAL_CLEANUP_FUNC(struct crypt_device *, crypt_free)

static void safe_freep(char **p) {
	crypt_safe_free(*p);
}

/* libcryptsetup's messages go to our log, below our own. */
static void forward_crypt_log(int level, const char *msg, void *usrptr) {
	rsc_context *ctx = usrptr;
	size_t l = strlen(msg);
	char buf[1024];
	snprintf(buf, sizeof(buf), "%.*s", (int)(l && msg[l - 1] == '\n' ? l - 1 : l), msg);
	log_debug(ctx, "libcryptsetup: %s", buf);
}

static bool wanted(const struct rsc_device *d, char **devices) {
	if (!devices)
		return true;
	STRV_FOREACH(w, devices)
		if (streq(*w, d->name) || streq_ptr(*w, d->node) || streq_ptr(*w, d->uuid) ||
		    (startswith(*w, "UUID=") && streq_ptr(*w + 5, d->uuid)))
			return true;
	return false;
}

/* 0 opened (or was open), -EPERM key refused, other negative errno. */
static int try_key(rsc_context *ctx, struct crypt_device *cd, const char *name, const char *key, size_t len,
		   bool keyfile) {
	/* Check first without a mapping: tells a wrong key from a kernel
	 * that cannot map (no device-mapper). */
	int r = keyfile ? crypt_activate_by_keyfile_device_offset(cd, NULL, CRYPT_ANY_SLOT, key, 0, 0, 0) :
			  crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, key, len, 0);
	if (r < 0)
		return r == -EPERM || r == -ENOENT ? -EPERM : r;
	r = keyfile ? crypt_activate_by_keyfile_device_offset(cd, name, CRYPT_ANY_SLOT, key, 0, 0, 0) :
		      crypt_activate_by_passphrase(cd, name, CRYPT_ANY_SLOT, key, len, 0);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return r == -ENODEV || r == -ENOTSUP || r == -ENOSYS ? -ENOTSUP : r;
	return 0;
}

static uint64_t mem_available_kb(void) {
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned long long kb;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			return kb;
	return 0;
}

/* Argon2 keyslots need their memory cost in RAM, at once: on a small
 * rescue machine that is the difference between a slow unlock and a
 * failed one. Say which, before anyone types a passphrase. */
static uint64_t describe_keyslots(rsc_context *ctx, struct crypt_device *cd, const char *name) {
	uint64_t most = 0;
	uint64_t avail = mem_available_kb();
	int max = crypt_keyslot_max(crypt_get_type(cd));
	bool told = false;
	for (int k = 0; k < max; k++) {
		crypt_keyslot_info st = crypt_keyslot_status(cd, k);
		if (st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST)
			continue;
		struct crypt_pbkdf_type pbkdf;
		if (crypt_keyslot_get_pbkdf(cd, k, &pbkdf) < 0 || !pbkdf.type)
			continue;
		if (pbkdf.max_memory_kb > most)
			most = pbkdf.max_memory_kb;
		if (pbkdf.max_memory_kb && avail && pbkdf.max_memory_kb > avail)
			log_warning(ctx, "%s: keyslot %d uses %s with %u MiB of memory, but only %llu MiB are available: "
				    "unlocking with it may fail. Free memory (close programs, add swap) or boot with "
				    "more RAM", name, k, pbkdf.type, pbkdf.max_memory_kb / 1024,
				    (unsigned long long)(avail / 1024));
		else if (!told && pbkdf.max_memory_kb >= 65536) {
			log_notice(ctx, "%s: %s key derivation (%u MiB) takes a few seconds per try", name, pbkdf.type,
				   pbkdf.max_memory_kb / 1024);
			told = true;
		}
	}
	return most;
}

int rsc_unlock(rsc_context *ctx, const struct rsc_unlock_options *opts) {
	if (geteuid() != 0)
		return log_error_errno(ctx, RSC_ERR_NOT_ROOT, "Unlocking needs root");
	struct rsc_scan_options so = { .images = opts->images, .no_identify = true };
	struct rsc_scan *own = NULL;
	const struct rsc_scan *scan = opts->scan;
	int r = 0;
	if (!scan) {
		r = rsc_scan_run(ctx, &so, &own);
		if (r < 0)
			return r;
		scan = own;
	}
	crypt_set_log_callback(NULL, forward_crypt_log, ctx);

	unsigned tries = opts->tries ? opts->tries : 3;
	_cleanup_(safe_freep) char *last = NULL;   /* the passphrase that worked last */
	size_t last_len = 0;
	int opened = 0, found = 0;
	r = 0;
	for (size_t i = 0; r >= 0 && i < scan->n_devices; i++) {
		const struct rsc_device *d = &scan->devices[i];
		if (!streq_ptr(d->type, "crypto_LUKS") || !wanted(d, opts->devices))
			continue;
		found++;
		if ((r = rsc_step_pause(ctx, "unlock: before a volume")) < 0)
			break;
		_cleanup_free_ char *name = NULL, *loopnode = NULL;
		if (asprintf(&name, "luks-%s", strna(d->uuid)) < 0) {
			r = -ENOMEM;
			break;
		}
		if (d->status == RSC_DEVICE_UNLOCKED) {
			log_notice(ctx, "%s is already open (%s)", d->name, d->state + strlen("unlocked as "));
			opened++;
			continue;
		}
		/* A partition of an image: a loop device to map it from. The
		 * mapping holds it; it detaches itself when the mapping closes. */
		_cleanup_close_ int lfd = -EBADF;
		const char *node = d->node;
		if (!node) {
			lfd = loop_attach(d->file, d->offset, d->size, false, &loopnode);
			if (lfd < 0) {
				r = log_error_errno(ctx, lfd, "%s: cannot attach a loop device: %m", d->name);
				break;
			}
			node = loopnode;
		}
		_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
		r = crypt_init(&cd, node);
		if (r >= 0) {
			crypt_set_log_callback(cd, forward_crypt_log, ctx);
			r = crypt_load(cd, CRYPT_LUKS, NULL);
		}
		if (r < 0) {
			log_error_errno(ctx, r, "%s: the LUKS header cannot be read (%m): damaged header? "
					"'cryptsetup luksDump %s' shows what is left; a header backup restores it",
					d->name, node);
			r = -RSC_ERR_BAD_INPUT;
			break;
		}
		if (crypt_status(cd, name) == CRYPT_ACTIVE) {
			log_notice(ctx, "%s is already open as /dev/mapper/%s", d->name, name);
			opened++;
			continue;
		}

		uint64_t kdf_memory = describe_keyslots(ctx, cd, d->name);
		int q = -EPERM;
		bool skipped = false;
		if (opts->key_file) {
			q = try_key(ctx, cd, name, opts->key_file, 0, true);
			if (q == -EPERM)
				log_warning(ctx, "%s: the key file %s does not open it", d->name, opts->key_file);
			else if (q < 0 && q != -ENOTSUP)
				log_warning_errno(ctx, q, "%s: the key file %s cannot be used: %m", d->name, opts->key_file);
		}
		if (q == -EPERM && last)
			q = try_key(ctx, cd, name, last, last_len, false);
		/* Asked through the options' callback (the CLI's prompt) or else
		 * the context's typed question, which can also skip the volume
		 * or name a key file. */
		bool can_ask = opts->ask || ctx->ask_fn;
		for (unsigned t = 0; q == -EPERM && can_ask && t < tries; t++) {
			_cleanup_(safe_freep) char *buf = crypt_safe_alloc(PASSPHRASE_MAX);
			if (!buf) {
				q = -ENOMEM;
				break;
			}
			int len;
			if (opts->ask) {
				char prompt[256];
				snprintf(prompt, sizeof(prompt), "Passphrase for %s (%s, LUKS%s)%s: ", d->name,
					 strna(d->uuid), strna(d->version), t ? " — try again" : "");
				len = opts->ask(opts->ask_userdata, prompt, buf, PASSPHRASE_MAX);
			} else {
				char text[256], detail[256];
				snprintf(text, sizeof(text), "Passphrase of the encrypted volume %s%s", d->name,
					 t ? " (that one did not open it; try again)" : "");
				snprintf(detail, sizeof(detail), "LUKS%s, UUID %s%s", strna(d->version), strna(d->uuid),
					 kdf_memory >= 65536 ? "; each try takes a few seconds (Argon2)" : "");
				struct rsc_question qq = {
					.kind = RSC_ASK_PASSPHRASE,
					.subject = d->name,
					.text = text,
					.detail = detail,
					.attempt = t + 1,
					.max_attempts = tries,
					.kdf_memory_kib = kdf_memory,
					.secret = buf,
					.secret_size = PASSPHRASE_MAX,
				};
				int a = rsc_ask(ctx, &qq);
				if (a == RSC_ANSWER_SKIP) {
					skipped = true;
					break;
				}
				if (a == RSC_ANSWER_CANCEL) {
					q = -ECANCELED;
					break;
				}
				if (a == RSC_ANSWER_KEY_FILE && qq.key_file) {
					q = try_key(ctx, cd, name, qq.key_file, 0, true);
					if (q == -EPERM)
						log_warning(ctx, "%s: the key file %s does not open it (%u of %u tries)", d->name,
							    qq.key_file, t + 1, tries);
					continue;
				}
				len = a < 0 ? a : a == RSC_ANSWER_YES ? (int)(qq.secret_len < PASSPHRASE_MAX ? qq.secret_len : PASSPHRASE_MAX - 1) : -ECANCELED;
				if (len >= 0)
					buf[len] = 0;
			}
			if (len < 0) {
				q = len;
				break;
			}
			q = try_key(ctx, cd, name, buf, (size_t)len, false);
			if (q == -EPERM)
				log_warning(ctx, "%s: wrong passphrase (%u of %u tries)", d->name, t + 1, tries);
			else if (q >= 0 || q == -ENOTSUP) {
				crypt_safe_free(last);
				last = TAKE_PTR(buf);
				last_len = (size_t)len;
			}
		}
		if (skipped) {
			log_notice(ctx, "%s: skipped; it stays locked", d->name);
			continue;
		}
		if (q == -ECANCELED) {
			r = -ECANCELED;
			break;
		}
		if (q == -ENOTSUP) {
			r = log_error_errno(ctx, ENOTSUP, "%s: the passphrase is right, but this kernel cannot map the "
					    "volume (no device-mapper / dm-crypt); boot the rescue medium's kernel, or "
					    "'modprobe dm_crypt'", d->name);
			break;
		}
		if (q == -ECANCELED) {
			r = q;
			break;
		}
		if (q == -ENOKEY) {
			r = log_error_errno(ctx, ENOKEY, "%s: locked, and there is nobody to ask for its passphrase: "
					    "give a key file or a passphrase", d->name);
			r = -EPERM;
			break;
		}
		if (q < 0) {
			r = q == -EPERM ? log_error_errno(ctx, EPERM, "%s: not unlocked: no passphrase or key given opens it",
							  d->name) :
					  log_error_errno(ctx, q, "%s: cannot be unlocked: %m", d->name);
			break;
		}
		q = rsc_undo_record(ctx, RSC_UNDO_CRYPT, name);
		if (q < 0) {
			r = q;
			break;
		}
		log_info(ctx, "%s unlocked as /dev/mapper/%s", d->name, name);
		opened++;
		/* Recorded above: a cancel now is undone by the caller's teardown. */
		if ((r = rsc_step_pause(ctx, "unlock: a volume was opened")) < 0)
			break;
	}
	rsc_scan_free(own);
	crypt_set_log_callback(NULL, NULL, NULL);
	if (r < 0)
		return r;
	if (found == 0 && opts->devices) {
		log_error(ctx, "No LUKS volume found matching the names given; the scan lists them");
		return -ENOENT;
	}
	if (found == 0)
		/* An unencrypted system: nothing to do is not a failure. */
		log_notice(ctx, "No locked LUKS volume: nothing to unlock");
	return opened;
}
