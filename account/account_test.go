package account

import (
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// root's account, as this machine's /etc/passwd has it, and the name of
// group 0 (root on Linux, wheel on the BSDs).
func rootAccount(t *testing.T) (*user.User, string) {
	t.Helper()
	u, err := user.LookupId("0")
	if err != nil {
		t.Skipf("no account for uid 0: %v", err)
	}
	g, err := user.LookupGroupId("0")
	if err != nil {
		t.Skipf("no group for gid 0: %v", err)
	}
	return u, g.Name
}

// noAccount is a number that no account and no group has.
func noAccount(t *testing.T) string {
	t.Helper()
	const id = "54321"
	if _, err := user.LookupId(id); err == nil {
		t.Skipf("uid %s has an account here", id)
	}
	if _, err := user.LookupGroupId(id); err == nil {
		t.Skipf("gid %s has a group here", id)
	}
	return id
}

func TestLookupByNameAndID(t *testing.T) {
	root, _ := rootAccount(t)
	for _, spec := range []string{root.Username, "0"} {
		c, err := Lookup(spec)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", spec, err)
		}
		if c.UID != 0 || c.GID != 0 || c.Name != root.Username {
			t.Errorf("Lookup(%q) = %+v, want uid 0, gid 0, name %s", spec, c, root.Username)
		}
		want := []string{"HOME=" + root.HomeDir, "USER=" + root.Username, "LOGNAME=" + root.Username}
		if !slices.Equal(c.Env, want) {
			t.Errorf("Lookup(%q).Env = %q, want %q", spec, c.Env, want)
		}
		if !slices.Contains(c.Groups, 0) {
			t.Errorf("Lookup(%q).Groups = %v, want the primary group 0 among them (getgrouplist)", spec, c.Groups)
		}
	}
}

// A numeric ID that no account has is used as it is, with the same number
// as group and no other (the README's promise for static builds, whose
// lookup reads /etc/passwd only).
func TestLookupNumericWithoutAccount(t *testing.T) {
	id := noAccount(t)
	c, err := Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	if c.UID != 54321 || c.GID != 54321 || len(c.Groups) != 0 || c.Name != id {
		t.Errorf("credential %+v, want uid and gid 54321, no groups", c)
	}
	if want := []string{"HOME=/", "USER=" + id, "LOGNAME=" + id}; !slices.Equal(c.Env, want) {
		t.Errorf("environment %q, want %q", c.Env, want)
	}
}

// USER:GROUP replaces the primary group only, by name or ID (a numeric one
// without a group used as it is); the supplementary groups stay the user's.
func TestLookupWithGroup(t *testing.T) {
	root, group0 := rootAccount(t)
	id := noAccount(t)
	plain, err := Lookup(root.Username)
	if err != nil {
		t.Fatal(err)
	}
	for spec, gid := range map[string]uint32{
		root.Username + ":" + group0: 0,
		root.Username + ":0":         0,
		root.Username + ":" + id:     54321,
		"0:" + id:                    54321,
		id + ":0":                    0,
	} {
		c, err := Lookup(spec)
		if err != nil {
			t.Errorf("Lookup(%q): %v", spec, err)
			continue
		}
		if c.GID != gid {
			t.Errorf("Lookup(%q).GID = %d, want %d", spec, c.GID, gid)
		}
		wantGroups := plain.Groups
		if c.UID != 0 {
			wantGroups = []uint32{}
		}
		if !slices.Equal(c.Groups, wantGroups) {
			t.Errorf("Lookup(%q).Groups = %v, want the user's %v", spec, c.Groups, wantGroups)
		}
	}
}

func TestLookupRefuses(t *testing.T) {
	root, _ := rootAccount(t)
	r := root.Username
	for spec, want := range map[string]string{
		"":                         "invalid user '': want USER or USER:GROUP",
		":":                        "invalid user ':': want USER or USER:GROUP",
		r + ":":                    "invalid user '" + r + ":': want USER or USER:GROUP",
		":0":                       "invalid user ':0': want USER or USER:GROUP",
		"gdetach-no-such-user":     "unknown user 'gdetach-no-such-user'",
		r + ":gdetach-no-such-grp": "unknown group 'gdetach-no-such-grp'",
		"4294967295":               "invalid user ID '4294967295'",
		"4294967296":               "invalid user ID '4294967296'",
		r + ":4294967295":          "invalid group ID '4294967295'",
		r + ":99999999999":         "invalid group ID '99999999999'",
		"-5":                       "unknown user '-5'",
		"+5":                       "unknown user '+5'",
		r + ":+5":                  "unknown group '+5'",
	} {
		c, err := Lookup(spec)
		if err == nil || err.Error() != want {
			t.Errorf("Lookup(%q) = %+v, %v; want the error %q", spec, c, err, want)
		}
	}
}

func TestSyscall(t *testing.T) {
	c := &Credential{UID: 1, GID: 2, Groups: []uint32{3, 4}}
	got := c.Syscall()
	if got.Uid != 1 || got.Gid != 2 || !slices.Equal(got.Groups, []uint32{3, 4}) || got.NoSetGroups {
		t.Errorf("Syscall() = %+v", got)
	}
}

func TestIsCurrent(t *testing.T) {
	me := &Credential{UID: uint32(os.Geteuid()), GID: uint32(os.Getegid())}
	if !me.IsCurrent() {
		t.Errorf("%+v is not current", me)
	}
	for _, other := range []*Credential{{UID: me.UID + 1, GID: me.GID}, {UID: me.UID, GID: me.GID + 1}} {
		if other.IsCurrent() {
			t.Errorf("%+v is current, for euid %d egid %d", other, me.UID, me.GID)
		}
	}
}

// Searchable judges every directory from dir up to / by the bit that
// applies to the user: owner, group (primary or supplementary), other.
func TestSearchable(t *testing.T) {
	top := t.TempDir() // mode 0700, as its parent: opened to others below
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	mkdir := func(name string, perm os.FileMode) string {
		d := filepath.Join(top, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, perm); err != nil {
			t.Fatal(err)
		}
		return d
	}
	closed, forGroup := mkdir("closed", 0o700), mkdir("group", 0o710)
	deeper := filepath.Join(closed, "deeper")
	if err := os.Mkdir(deeper, 0o755); err != nil {
		t.Fatal(err)
	}
	owner, gid := uint32(os.Geteuid()), uint32(os.Getegid())
	other := owner + 54321
	for _, c := range []struct {
		name string
		cred Credential
		dir  string
		ok   bool
	}{
		{"owner", Credential{UID: owner, GID: gid + 1}, closed, true},
		{"other", Credential{UID: other, GID: gid + 1}, closed, false},
		{"other, below a closed directory", Credential{UID: other, GID: gid + 1}, deeper, false},
		{"primary group", Credential{UID: other, GID: gid}, forGroup, true},
		{"supplementary group", Credential{UID: other, GID: gid + 1, Groups: []uint32{gid}}, forGroup, true},
		{"no group", Credential{UID: other, GID: gid + 1}, forGroup, false},
		{"root", Credential{UID: 0}, closed, true},
	} {
		err := c.cred.Searchable(c.dir)
		var pe *os.PathError
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: Searchable(%s) = %v, want nil", c.name, c.dir, err)
		case !c.ok && (!errors.As(err, &pe) || pe.Op != "chdir" || pe.Path != c.dir || !errors.Is(err, syscall.EACCES)):
			t.Errorf("%s: Searchable(%s) = %v, want chdir %s: permission denied", c.name, c.dir, err, c.dir)
		}
	}
	if err := (&Credential{UID: other}).Searchable(filepath.Join(top, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Searchable of a missing directory = %v, want it not to exist", err)
	}
}
