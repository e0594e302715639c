#!/bin/bash
# rescue scan --root on hostile and broken trees, built here in a temporary
# directory (safety rules 4 and 6 of the design):
#   - symlinks that would reach files of this machine if they were resolved
#     on the host (absolute, relative with "..", a directory link to /, a
#     link to the host's /usr/lib/modules and /bin/sh): the files they would
#     reach hold a unique marker, and the marker must never show up in the
#     output, text or JSON;
#   - a fifo where a config file should be (the scan must not hang on it);
#   - binary garbage, a 10 MB os-release, truncated files, NUL bytes, CRLF,
#     a 1 MB line without a newline.
# Every scan must end with a documented exit code (0, 3 or 4), without a
# sanitizer report, and must name the bad file in what it prints.
# Run under the ASan/UBSan build by 'make check' (RESCUE from build/asan).
set -u
: "${RESCUE:?RESCUE must name the binary under test}"
command -v jq >/dev/null || { echo "jq is not installed"; exit 77; }
[ -x "$RESCUE" ] || { echo "$RESCUE not built"; exit 77; }
command -v mkfifo >/dev/null || { echo "mkfifo is not installed"; exit 77; }

T=$(mktemp -d /tmp/rescue-hostile.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
MARK=hostleak$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
host=$T/host
mkdir -p "$host/a"
failures=0 checks=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# Deterministic pseudo-random bytes: the same garbage on every run, so a
# failure can be reproduced.
garbage() { # bytes seed
	openssl enc -aes-128-ctr -nosalt -pass "pass:$2" -pbkdf2 </dev/zero 2>/dev/null | head -c "$1"
}
# The same without NUL bytes: the parsers see text up to the first NUL, so
# this is the garbage that reaches every line of them.
garbage_text() { # bytes seed
	openssl enc -aes-128-ctr -nosalt -pass "pass:$2" -pbkdf2 </dev/zero 2>/dev/null | tr -d '\000' | head -c "$1"
}

# ---- files of "the host" that an escaping link would reach, each holding
# the marker where the parser would copy it into the report.
printf 'ID=%s\nNAME="%s"\nPRETTY_NAME="%s"\nVERSION_ID=1\n' "$MARK" "$MARK" "$MARK" >"$host/secret-os-release"
printf 'UUID=%s / ext4 defaults 0 1\n' "$MARK" >"$host/secret-fstab"
printf '%s UUID=%s none luks\n' "$MARK" "$MARK" >"$host/secret-crypttab"
printf 'GRUB_CMDLINE_LINUX="%s"\nGRUB_ENABLE_BLSCFG=true\n' "$MARK" >"$host/secret-default-grub"
printf "menuentry '%s' {\n\tlinux /vmlinuz-%s root=%s\n\tinitrd /initrd-%s\n}\n" "$MARK" "$MARK" "$MARK" "$MARK" \
	>"$host/secret-grub.cfg"
mkdir -p "$host/esp/EFI/debian" "$host/loader/entries" "$host/selinux-targeted/contexts/files" "$host/boot"
printf 'search.fs_uuid %s root\nconfigfile ($root)/grub/grub.cfg\n' "$MARK" >"$host/esp/EFI/debian/grub.cfg"
printf 'MZ\n' >"$host/esp/EFI/debian/grubx64.efi"
printf 'title %s\nlinux /vmlinuz-%s\ninitrd /initrd-%s\noptions %s\n' "$MARK" "$MARK" "$MARK" "$MARK" \
	>"$host/loader/entries/leak.conf"
printf '/.* system_u:object_r:default_t:s0\n' >"$host/selinux-targeted/contexts/files/file_contexts"
printf 'fake kernel\n' >"$host/boot/vmlinuz-9.9.9-$MARK"
printf 'fake initramfs\n' >"$host/boot/initrd.img-9.9.9-$MARK"
sh_path=$(readlink -f /bin/sh)

# scan NAME ROOT: runs the scan twice (text and JSON), checks the exit
# code, sanitizer reports and the marker; leaves $T/NAME.{txt,json,jerr}.
scan() {
	local name=$1 root=$2 rc rcj
	timeout 120 "$RESCUE" scan --root "$root" >"$T/$name.txt" 2>&1
	rc=$?
	timeout 120 "$RESCUE" scan --root "$root" --json >"$T/$name.json" 2>"$T/$name.jerr"
	rcj=$?
	checks=$((checks + 1))
	case $rc in 0|3|4) ;; 124) fail "$name: the scan hung (killed after 120 s)" ;;
		*) fail "$name: text scan exited $rc (documented: 0, 3, 4)"; tail -n 20 "$T/$name.txt" | sed 's/^/  | /' ;; esac
	checks=$((checks + 1))
	[ "$rcj" = "$rc" ] || fail "$name: JSON scan exited $rcj, text scan $rc"
	checks=$((checks + 1))
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/$name.txt" "$T/$name.jerr"; then
		fail "$name: sanitizer report"; grep -hE -A5 'Sanitizer|runtime error' "$T/$name.txt" "$T/$name.jerr" | head -20
	fi
	checks=$((checks + 1))
	if grep -q "$MARK" "$T/$name.txt" "$T/$name.json" "$T/$name.jerr"; then
		fail "$name: a file outside the root was read:"; grep -h "$MARK" "$T/$name.txt" "$T/$name.json" | head -5
	fi
	checks=$((checks + 1))
	# jq would quietly replace invalid UTF-8; a strict reader would not.
	if command -v iconv >/dev/null && ! iconv -f UTF-8 -t UTF-8 "$T/$name.json" >/dev/null 2>&1; then
		fail "$name: --json output is not valid UTF-8 (bytes of a damaged file passed through)"
	fi
	checks=$((checks + 1))
	if ! jq -e . "$T/$name.json" >/dev/null 2>&1; then
		fail "$name: --json output is not JSON"
		echo '{"systems":[]}' >"$T/$name.json"
	fi
	return 0
}

# jqcheck NAME EXPR [description]: EXPR on the JSON must be true.
jqcheck() {
	checks=$((checks + 1))
	jq -e "$2" "$T/$1.json" >/dev/null 2>&1 || fail "$1: ${3:-$2}"
}

# names NAME STRING...: the text output (stdout and stderr) names each.
names() {
	local name=$1 s
	shift
	for s in "$@"; do
		checks=$((checks + 1))
		grep -qF -- "$s" "$T/$name.txt" || fail "$name: no message names $s"
	done
}

# ---- 1. links: every config file of a plausible system is a link out of
# the root; resolved inside the root they lead nowhere.
r=$host/a/links
mkdir -p "$r/etc/selinux" "$r/etc/default" "$r/usr/lib" "$r/usr/sbin" "$r/grub"
printf 'ID=hostile\nNAME="Hostile"\nVERSION_ID=1\n' >"$r/usr/lib/os-release"
ln -s /etc/shadow "$r/etc/os-release"                       # absolute: the host's shadow file
ln -s ../../../secret-fstab "$r/etc/fstab"                  # relative: $host/secret-fstab on the host
mkfifo "$r/etc/crypttab"                                     # a reader that blocks would hang here
ln -s "$host/secret-default-grub" "$r/etc/default/grub"     # absolute path of a host file
ln -s / "$r/boot"                                            # /boot is the root itself
ln -s ../../../secret-grub.cfg "$r/grub/grub.cfg"           # /boot/grub/grub.cfg escaping with ../..
mkdir -p "$r/grub/i386-pc"
ln -s "$host/esp" "$r/efi"                                   # /boot/efi -> a host directory
ln -s "$host/loader" "$r/loader"                             # /boot/loader/entries on the host
ln -s /usr/lib/modules "$r/usr/lib/modules"                  # the host's kernel modules
ln -s "$sh_path" "$r/usr/sbin/update-initramfs"              # an executable of the host
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' >"$r/etc/selinux/config"
ln -s "$host/selinux-targeted" "$r/etc/selinux/targeted"    # policy files on the host
ln -s "$host/boot/vmlinuz-9.9.9-$MARK" "$r/vmlinuz-9.9.9-$MARK"  # a kernel image link out of /boot
ln -s "$host/boot/initrd.img-9.9.9-$MARK" "$r/initrd.img-9.9.9-$MARK"
printf 'fake kernel\n' >"$r/vmlinuz-6.1.0-1-amd64"                # a real one, inside (boot -> /)
scan links "$r"
jqcheck links '(.systems | length) == 1' 'the system is still identified'
jqcheck links '.systems[0].os_release.ID == "hostile"' \
	'etc/os-release -> /etc/shadow must not be read (the usr/lib copy is used instead)'
jqcheck links '.systems[0].fstab == [] and .systems[0].crypttab == []'
jqcheck links '.systems[0].bootloader.grub_cfg == null and .systems[0].bootloader.entries == []' \
	'grub.cfg and BLS entries behind escaping links are not read'
jqcheck links '.systems[0].bootloader.esp_grub_cfg == null and .systems[0].bootloader.default_grub == {}'
jqcheck links '.systems[0].generator == null' 'an executable reached through an absolute link is not the generator'
jqcheck links '.systems[0].selinux.mode == "enforcing" and (.systems[0].selinux.policy_present | not)'
jqcheck links '[.systems[0].kernels[] | select(.modules)] == []' 'the host kernel modules are not listed'
jqcheck links '[.systems[0].kernels[] | [.version, .image, .initramfs]] == [["6.1.0-1-amd64","/boot/vmlinuz-6.1.0-1-amd64",null]]' \
	'only the kernel inside the root; image links out of it are not kernels'
host_kernels=$(ls /usr/lib/modules 2>/dev/null | head -5)
for k in $host_kernels; do
	checks=$((checks + 1))
	! grep -qF "\"$k\"" "$T/links.json" || fail "links: the host kernel $k shows up"
done
names links /etc/crypttab
jqcheck links '[.systems[0].notes[] | select(contains("/etc/crypttab"))] | length == 1' \
	'the fifo is named in a note'
jqcheck links '[.systems[0].notes[] | select(contains("/etc/fstab"))] | length == 1' \
	'the missing (dangling) fstab is named in a note'

# ---- 2. an os-release that only exists outside the root: not a system.
r=$host/a/nosystem
mkdir -p "$r/etc" "$r/usr/lib"
ln -s ../../../secret-os-release "$r/etc/os-release"
ln -s "$host/secret-os-release" "$r/usr/lib/os-release"
scan nosystem "$r"
jqcheck nosystem '.systems == []'
checks=$((checks + 1))
grep -q 'exit' /dev/null # keep set -u quiet
"$RESCUE" scan --root "$r" >/dev/null 2>&1
[ $? -eq 3 ] || fail "nosystem: exit code is not 3 (no system)"
names nosystem os-release

# ---- 3. fstab -> ../../../../../etc/passwd: a relative climb to the host's
# passwd, with a fake passwd inside the root where the climb ends.
r=$host/a/passwd
mkdir -p "$r/etc" "$r/usr/lib"
printf 'ID=hostile\nVERSION_ID=3\n' >"$r/usr/lib/os-release"
ln -s ../../../../../../../../../etc/passwd "$r/etc/fstab"
printf 'LABEL=inside-the-root /srv ext4 defaults 0 2\n' >"$r/etc/passwd"
mkdir -p "$r/boot" && printf 'fake kernel\n' >"$r/boot/vmlinuz-6.1.0-1-amd64"
scan passwd "$r"
jqcheck passwd '.systems[0].fstab | length == 1 and .[0].spec == "LABEL=inside-the-root"' \
	'the climb stops at the root: its own etc/passwd is what the link names'
checks=$((checks + 1))
! grep -q 'root:x:0:0' "$T/passwd.txt" "$T/passwd.json" || fail "passwd: the host's /etc/passwd was read"

# ---- 4. garbage: binary files where text should be, a 10 MB os-release.
r=$host/a/garbage
mkdir -p "$r/etc/default" "$r/etc/selinux" "$r/boot/grub" "$r/boot/loader/entries" "$r/usr/lib/modules/6.1.0-1-amd64/kernel"
garbage $((10 * 1024 * 1024)) os-release >"$r/etc/os-release"
garbage_text $((3 * 1024 * 1024)) fstab >"$r/etc/fstab"
garbage_text 65536 crypttab >"$r/etc/crypttab"
garbage_text 65536 default-grub >"$r/etc/default/grub"
garbage_text 262144 grub.cfg >"$r/boot/grub/grub.cfg"
garbage_text 4096 bls >"$r/boot/loader/entries/garbage.conf"
garbage 4096 selinux >"$r/etc/selinux/config"
printf 'fake kernel\n' >"$r/boot/vmlinuz-6.1.0-1-amd64"
: >"$r/boot/initrd.img-6.1.0-1-amd64"                       # zero bytes: a truncated image
scan garbage "$r"
jqcheck garbage '(.systems | length == 1) and .systems[0].os_release.ID == null and .systems[0].id == "linux"' \
	'a system with an unreadable os-release is shown as unknown, not dropped'
jqcheck garbage '.systems[0].kernels[0].initramfs_size == 0' 'the zero-byte initramfs is reported with its size'
jqcheck garbage '.systems[0].fstab == [] and .systems[0].crypttab == []' 'no entry made up from garbage'
names garbage /etc/os-release /etc/fstab /etc/crypttab /etc/default/grub /boot/grub/grub.cfg garbage.conf

# ---- 5. truncated and odd text: cut mid-quote, mid-line, mid-block; NUL
# bytes; CRLF; a 1 MB line without a newline.
r=$host/a/truncated
mkdir -p "$r/etc/default" "$r/boot/grub2" "$r/boot/loader/entries" "$r/usr/lib/modules/6.5.6-300.fc39.x86_64/kernel"
printf 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\nPRETTY_NAME="Fedora Linux 39 (Workst' >"$r/etc/os-release"
printf 'UUID=c4b3a291-8f7e-4d6c-b5a4-93827160f5e4 / btrfs subvol=root 0 0\nUUID=9e8d7c6b /boot ext\nUUID=a1b2 /bo' \
	>"$r/etc/fstab"
printf 'luks-6a5b UUID=6a5b4c3d-2e1f\0garbage after a NUL\nsecond UUID=1 none\n' >"$r/etc/crypttab"
printf 'GRUB_TIMEOUT=5\r\nGRUB_CMDLINE_LINUX="rhgb quiet\r\nGRUB_ENABLE_BLSCFG=true\r\n' >"$r/etc/default/grub"
printf "menuentry 'Fedora Linux' {\n\tlinux /vmlinuz-6.5.6-300.fc39.x86_64 root=UUID=c4b3 ro\n\tinitrd /initramfs-6.5.6" \
	>"$r/boot/grub2/grub.cfg"
printf 'title Fedora Linux (6.5.6-300.fc39.x86_64)\nversion 6.5.6-300.fc39.x86_64\nlinux /vmlinuz-6.5.' \
	>"$r/boot/loader/entries/cut.conf"
head -c 1048576 /dev/zero | tr '\0' 'x' >"$r/boot/loader/entries/long.conf"
printf 'fake kernel\n' >"$r/boot/vmlinuz-6.5.6-300.fc39.x86_64"
printf '\x1f\x8b\x08\x00' >"$r/boot/initramfs-6.5.6-300.fc39.x86_64.img"   # a gzip header and nothing else
scan truncated "$r"
jqcheck truncated '.systems[0].os_release.ID == "fedora" and .systems[0].os_release.PRETTY_NAME == null' \
	'the unterminated quote drops that one line'
jqcheck truncated '[.systems[0].fstab[].target] == ["/","/boot"]' 'a line cut to three fields still parses, one cut to two does not'
jqcheck truncated '[.systems[0].crypttab[].name] == ["luks-6a5b"]' 'text after a NUL byte is not read'
jqcheck truncated '.systems[0].bootloader.default_grub.GRUB_TIMEOUT == "5" and .systems[0].bootloader.default_grub.GRUB_ENABLE_BLSCFG == "true"' \
	'CRLF line ends are taken as line ends'
jqcheck truncated '[.systems[0].bootloader.entries[] | select(.source == "/boot/grub2/grub.cfg") | .title] == ["Fedora Linux"]'
jqcheck truncated '.systems[0].kernels[0].initramfs_size == 4'
jqcheck truncated '[.systems[0].bootloader.entries[] | select(.source == "cut.conf") | .linux] == ["/vmlinuz-6.5."]' \
	'what a truncated BLS entry says is shown as it is'
names truncated /etc/os-release /etc/fstab:3 /etc/default/grub /boot/grub2/grub.cfg cut.conf long.conf

# ---- 6. bombs: inputs whose cost would grow much faster than their size
# (a value doubling at each line, a million lines, a line of two million
# words). Each scan must finish promptly, whatever the build.
r=$host/a/bombs
mkdir -p "$r/etc/default" "$r/boot/grub"
{ echo 'ID=bomb'; echo 'A=0123456789abcdef'; for i in $(seq 1 40); do echo 'A=$A$A'; done; } >"$r/etc/os-release"
awk 'BEGIN { for (i = 0; i < 1000000; i++) print "GRUB_X=1" }' | head -c 4000000 >"$r/etc/default/grub"
{ printf 'menuentry x {\nlinux /vmlinuz'; awk 'BEGIN { for (i = 0; i < 1900000; i++) printf " a" }'; printf '\n}\n'; } \
	>"$r/boot/grub/grub.cfg"
printf 'fake kernel\n' >"$r/boot/vmlinuz-6.1.0-1-amd64"
start=$SECONDS
scan bombs "$r"
checks=$((checks + 1))
[ $((SECONDS - start)) -lt 100 ] || fail "bombs: two scans took $((SECONDS - start)) s"
jqcheck bombs '.systems[0].os_release.ID == "bomb"'
jqcheck bombs '.systems[0].bootloader.entries[0].linux == "/vmlinuz"'
names bombs "/etc/os-release:15: value of A longer than" "/etc/default/grub: more than 10000 lines"

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
