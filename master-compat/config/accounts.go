package config

import "fmt"

// checkAccounts resolves default_privs, mail_owner and setgid_group and
// applies the checks of check_default_privs(), check_mail_owner(),
// check_sgid_group() and check_overlap(), with their error texts.
func (d *Dict) checkAccounts(g *Generic) error {
	file := d.mainCF()
	user := func(param, name string) (uid, gid int, err error) {
		uid, gid, err = d.sys.lookupUser(name)
		switch {
		case err != nil:
			return 0, 0, fmt.Errorf("file %s: parameter %s: unknown user name value: %s", file, param, name)
		case uid == 0:
			return 0, 0, fmt.Errorf("file %s: parameter %s: user %s has privileged user ID", file, param, name)
		case gid == 0:
			return 0, 0, fmt.Errorf("file %s: parameter %s: user %s has privileged group ID", file, param, name)
		}
		return uid, gid, nil
	}
	var err error
	if g.DefaultPrivsUID, g.DefaultPrivsGID, err = user("default_privs", g.DefaultPrivs); err != nil {
		return err
	}
	if g.MailOwnerUID, g.MailOwnerGID, err = user("mail_owner", g.MailOwner); err != nil {
		return err
	}
	if other := d.sys.userName(g.MailOwnerUID); other != "" && other != g.MailOwner {
		return fmt.Errorf("file %s: parameter mail_owner: user %s has same user ID as %s", file, g.MailOwner, other)
	}
	gid, err := d.sys.lookupGroup(g.SetgidGroup)
	switch {
	case err != nil:
		return fmt.Errorf("file %s: parameter setgid_group: unknown group name: %s", file, g.SetgidGroup)
	case gid == 0:
		return fmt.Errorf("file %s: parameter setgid_group: group %s has privileged group ID", file, g.SetgidGroup)
	}
	g.SetgidGID = gid
	if other := d.sys.groupName(gid); other != "" && other != g.SetgidGroup {
		return fmt.Errorf("file %s: parameter setgid_group: group %s has same group ID as %s", file, g.SetgidGroup, other)
	}
	switch {
	case g.DefaultPrivs == g.MailOwner:
		return fmt.Errorf("file %s: parameters default_privs and mail_owner specify the same user %s", file, g.DefaultPrivs)
	case g.DefaultPrivsUID == g.MailOwnerUID:
		return fmt.Errorf("file %s: parameters default_privs and mail_owner: users %s and %s have the same user ID: %d",
			file, g.DefaultPrivs, g.MailOwner, g.MailOwnerUID)
	case g.DefaultPrivsGID == g.MailOwnerGID:
		return fmt.Errorf("file %s: parameters default_privs and mail_owner: users %s and %s have the same group ID: %d",
			file, g.DefaultPrivs, g.MailOwner, g.MailOwnerGID)
	case g.DefaultPrivsGID == g.SetgidGID:
		return fmt.Errorf("file %s: parameters default_privs and setgid_group: user %s and group %s have the same group ID: %d",
			file, g.DefaultPrivs, g.SetgidGroup, g.SetgidGID)
	case g.MailOwnerGID == g.SetgidGID:
		return fmt.Errorf("file %s: parameters mail_owner and setgid_group: user %s and group %s have the same group ID: %d",
			file, g.MailOwner, g.SetgidGroup, g.SetgidGID)
	}
	return nil
}
