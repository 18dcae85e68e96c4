// Package privs confines a daemon the way the Postfix skeletons do with -u
// and -c: look up mail_owner while /etc is still visible, then setgid,
// setgroups (the owner's groups, as initgroups would), chroot into the
// queue directory, chdir("/"), and finally setuid.
//
// Binaries are built with CGO_ENABLED=0: the Go runtime then applies
// setuid/setgid/setgroups to every OS thread, so no thread keeps root.
package privs

import (
	"fmt"
	"os/user"
	"strconv"
	"syscall"
)

// Identity is a resolved account.
type Identity struct {
	Name   string
	UID    int
	GID    int
	Groups []int
}

// Lookup resolves name and its supplementary groups from the passwd and
// group files. It must run before chroot. Postfix refuses a mail_owner that
// is root or whose primary group is root, and so do we.
func Lookup(name string) (Identity, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return Identity{}, fmt.Errorf("unknown mail_owner user %q: %w", name, err)
	}
	id := Identity{Name: name}
	if id.UID, err = strconv.Atoi(u.Uid); err != nil {
		return Identity{}, fmt.Errorf("user %s: bad uid %q", name, u.Uid)
	}
	if id.GID, err = strconv.Atoi(u.Gid); err != nil {
		return Identity{}, fmt.Errorf("user %s: bad gid %q", name, u.Gid)
	}
	if id.UID == 0 {
		return Identity{}, fmt.Errorf("mail_owner %s has privileged user ID 0", name)
	}
	if id.GID == 0 {
		return Identity{}, fmt.Errorf("mail_owner %s has privileged group ID 0", name)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return Identity{}, fmt.Errorf("user %s: group list: %w", name, err)
	}
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil {
			id.Groups = append(id.Groups, n)
		}
	}
	if len(id.Groups) == 0 {
		id.Groups = []int{id.GID}
	}
	return id, nil
}

// Confine drops to id (when id.UID != 0) and chroots to root (when root is
// not empty), in Postfix's order. A zero Identity keeps the current user.
func Confine(id Identity, root string) error {
	drop := id.UID != 0
	if drop {
		if err := syscall.Setgid(id.GID); err != nil {
			return fmt.Errorf("setgid(%d): %w", id.GID, err)
		}
		if err := syscall.Setgroups(id.Groups); err != nil {
			return fmt.Errorf("setgroups(%v): %w", id.Groups, err)
		}
	}
	if root != "" {
		if err := syscall.Chroot(root); err != nil {
			return fmt.Errorf("chroot(%s): %w", root, err)
		}
		if err := syscall.Chdir("/"); err != nil {
			return fmt.Errorf("chdir(/): %w", err)
		}
	}
	if drop {
		if err := syscall.Setuid(id.UID); err != nil {
			return fmt.Errorf("setuid(%d): %w", id.UID, err)
		}
	}
	return nil
}
