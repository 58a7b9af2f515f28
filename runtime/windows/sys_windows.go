//go:build windows

package windows

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"

	win "golang.org/x/sys/windows"

	"github.com/permc/permc/backend/winacl"
	"github.com/permc/permc/ir"
)

// The Win32 entry points golang.org/x/sys/windows does not wrap. Each is
// documented by Microsoft; all are resolved lazily from system DLLs.
var (
	netapi32                    = win.NewLazySystemDLL("netapi32.dll")
	procNetUserAdd              = netapi32.NewProc("NetUserAdd")
	procNetUserDel              = netapi32.NewProc("NetUserDel")
	procNetUserSetInfo          = netapi32.NewProc("NetUserSetInfo")
	procNetLocalGroupAdd        = netapi32.NewProc("NetLocalGroupAdd")
	procNetLocalGroupDel        = netapi32.NewProc("NetLocalGroupDel")
	procNetLocalGroupAddMembers = netapi32.NewProc("NetLocalGroupAddMembers")

	userenv                       = win.NewLazySystemDLL("userenv.dll")
	procCreateAppContainerProfile = userenv.NewProc("CreateAppContainerProfile")
	procDeleteAppContainerProfile = userenv.NewProc("DeleteAppContainerProfile")
	procDeriveAppContainerSid     = userenv.NewProc("DeriveAppContainerSidFromAppContainerName")
	procGetAppContainerFolderPath = userenv.NewProc("GetAppContainerFolderPath")

	kernelbase               = win.NewLazySystemDLL("kernelbase.dll")
	procDeriveCapabilitySids = kernelbase.NewProc("DeriveCapabilitySidsFromName")
)

// NET_API_STATUS values the applier treats as "already so".
const (
	nerrGroupExists     = 2223
	nerrUserExists      = 2224
	nerrGroupNotFound   = 2220
	nerrUserNotFound    = 2221
	errorMemberInAlias  = 1378
	hresultAlreadyExist = 0x800700B7
)

// NewSystem returns the System of this machine.
func NewSystem() System { return sysWindows{} }

type sysWindows struct{}

type userInfo1 struct {
	name, password *uint16
	passwordAge    uint32
	priv           uint32
	homeDir        *uint16
	comment        *uint16
	flags          uint32
	scriptPath     *uint16
}

type localGroupInfo1 struct{ name, comment *uint16 }

type localGroupMembersInfo3 struct{ domainAndName *uint16 }

const (
	userPrivUser       = 1
	ufScript           = 0x0001
	ufPasswdCantChange = 0x0040
	ufDontExpirePasswd = 0x10000
)

func netStatus(r uintptr, ok ...uintptr) error {
	for _, o := range ok {
		if r == o {
			return nil
		}
	}
	if r != 0 {
		return syscall.Errno(r)
	}
	return nil
}

func (sysWindows) LookupAccount(name string) (winacl.SID, bool, error) {
	sid, _, _, err := win.LookupSID("", name)
	if errors.Is(err, win.ERROR_NONE_MAPPED) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return winacl.SID(sid.String()), true, nil
}

func (sysWindows) CreateGroup(name, comment string) error {
	info := localGroupInfo1{name: wstr(name), comment: wstr(comment)}
	r, _, _ := procNetLocalGroupAdd.Call(0, 1, uintptr(unsafe.Pointer(&info)), 0)
	return netStatus(r, nerrGroupExists)
}

// CreateUser creates a standard local user with a random password that
// nobody learns: Launch sets a fresh one before each logon.
func (sysWindows) CreateUser(name, comment string) error {
	pw, err := randomPassword()
	if err != nil {
		return err
	}
	info := userInfo1{name: wstr(name), password: wstr(pw), priv: userPrivUser,
		comment: wstr(comment), flags: ufScript | ufPasswdCantChange | ufDontExpirePasswd}
	r, _, _ := procNetUserAdd.Call(0, 1, uintptr(unsafe.Pointer(&info)), 0)
	return netStatus(r, nerrUserExists)
}

func (sysWindows) AddGroupMember(group, user string) error {
	m := localGroupMembersInfo3{domainAndName: wstr(user)}
	r, _, _ := procNetLocalGroupAddMembers.Call(0, uintptr(unsafe.Pointer(wstr(group))), 3,
		uintptr(unsafe.Pointer(&m)), 1)
	return netStatus(r, errorMemberInAlias)
}

func (sysWindows) DeleteGroup(name string) error {
	r, _, _ := procNetLocalGroupDel.Call(0, uintptr(unsafe.Pointer(wstr(name))))
	return netStatus(r, nerrGroupNotFound)
}

func (sysWindows) DeleteUser(name string) error {
	r, _, _ := procNetUserDel.Call(0, uintptr(unsafe.Pointer(wstr(name))))
	return netStatus(r, nerrUserNotFound)
}

// setPassword gives a local user a new password (USER_INFO_1003).
func setPassword(name, pw string) error {
	info := struct{ password *uint16 }{wstr(pw)}
	r, _, _ := procNetUserSetInfo.Call(0, uintptr(unsafe.Pointer(wstr(name))), 1003,
		uintptr(unsafe.Pointer(&info)), 0)
	return netStatus(r)
}

func (sysWindows) LookupAppContainer(name string) (winacl.SID, bool, error) {
	sid, err := deriveAppContainerSID(name)
	if err != nil {
		return "", false, err
	}
	var path *uint16
	hr, _, _ := procGetAppContainerFolderPath.Call(uintptr(unsafe.Pointer(wstr(string(sid)))),
		uintptr(unsafe.Pointer(&path)))
	if hr != 0 {
		return sid, false, nil
	}
	win.CoTaskMemFree(unsafe.Pointer(path))
	return sid, true, nil
}

func deriveAppContainerSID(name string) (winacl.SID, error) {
	var sid *win.SID
	hr, _, _ := procDeriveAppContainerSid.Call(uintptr(unsafe.Pointer(wstr(name))),
		uintptr(unsafe.Pointer(&sid)))
	if hr != 0 {
		return "", fmt.Errorf("derive appcontainer sid: hresult %#x", hr)
	}
	defer win.FreeSid(sid)
	return winacl.SID(sid.String()), nil
}

func (sysWindows) CreateAppContainer(name string, caps []string) (winacl.SID, error) {
	attrs, err := capabilityAttrs(caps)
	if err != nil {
		return "", err
	}
	var first *win.SIDAndAttributes
	if len(attrs) > 0 {
		first = &attrs[0]
	}
	var sid *win.SID
	n := wstr(name)
	hr, _, _ := procCreateAppContainerProfile.Call(uintptr(unsafe.Pointer(n)),
		uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(wstr("permc sandbox"))),
		uintptr(unsafe.Pointer(first)), uintptr(len(attrs)), uintptr(unsafe.Pointer(&sid)))
	if hr == hresultAlreadyExist {
		return deriveAppContainerSID(name)
	}
	if hr != 0 {
		return "", fmt.Errorf("create appcontainer %s: hresult %#x", name, hr)
	}
	defer win.FreeSid(sid)
	return winacl.SID(sid.String()), nil
}

// capabilityAttrs converts capability names into enabled SIDs.
func capabilityAttrs(caps []string) ([]win.SIDAndAttributes, error) {
	var out []win.SIDAndAttributes
	for _, c := range caps {
		s, ok := winacl.CapabilitySIDs[c]
		if !ok {
			return nil, fmt.Errorf("unknown capability %q", c)
		}
		sid, err := win.StringToSid(string(s))
		if err != nil {
			return nil, err
		}
		out = append(out, win.SIDAndAttributes{Sid: sid, Attributes: win.SE_GROUP_ENABLED})
	}
	return out, nil
}

func (sysWindows) DeleteAppContainer(name string) error {
	hr, _, _ := procDeleteAppContainerProfile.Call(uintptr(unsafe.Pointer(wstr(name))))
	if hr != 0 {
		return fmt.Errorf("delete appcontainer %s: hresult %#x", name, hr)
	}
	return nil
}

// CapabilitySID derives the capability SID of a name, as
// DeriveCapabilitySidsFromName does for app manifests.
func (sysWindows) CapabilitySID(name string) (winacl.SID, error) {
	var groups, sids **win.SID
	var ng, ns uint32
	ok, _, err := procDeriveCapabilitySids.Call(uintptr(unsafe.Pointer(wstr(name))),
		uintptr(unsafe.Pointer(&groups)), uintptr(unsafe.Pointer(&ng)),
		uintptr(unsafe.Pointer(&sids)), uintptr(unsafe.Pointer(&ns)))
	if ok == 0 {
		return "", fmt.Errorf("derive capability %s: %w", name, err)
	}
	defer freeSIDArray(groups, ng)
	defer freeSIDArray(sids, ns)
	if ns == 0 {
		return "", fmt.Errorf("derive capability %s: no sid", name)
	}
	return winacl.SID((*sids).String()), nil
}

func freeSIDArray(a **win.SID, n uint32) {
	if a == nil {
		return
	}
	for _, s := range unsafe.Slice(a, n) {
		win.LocalFree(win.Handle(unsafe.Pointer(s)))
	}
	win.LocalFree(win.Handle(unsafe.Pointer(a)))
}

// Stat reports existence, whether path is a real folder (junctions and
// links are not walked into), and what its DACL says of inheritance and
// explicit grants.
func (sysWindows) Stat(path string) (winacl.FileInfo, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return winacl.FileInfo{}, false
	}
	info := winacl.FileInfo{Dir: fi.Mode().IsDir()}
	sd, err := win.GetNamedSecurityInfo(path, win.SE_FILE_OBJECT, win.DACL_SECURITY_INFORMATION)
	if err != nil {
		// Unknown security: assume the worst, so denies are placed again.
		info.Protected, info.ExplicitAllow = true, true
		return info, true
	}
	ctl, _, _ := sd.Control()
	c, _ := ir.SplitPath(ir.Windows, path)
	info.Protected = ctl&win.SE_DACL_PROTECTED != 0 || len(c) == 1
	if d, err := parseDACL(sd.String()); err == nil {
		for _, a := range d.aces {
			info.ExplicitAllow = info.ExplicitAllow || (!a.inherited && !a.deny)
		}
	}
	return info, true
}

func (sysWindows) ReadDir(path string) ([]string, error) {
	es, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name()
	}
	return names, nil
}

func (sysWindows) Mkdir(path string) error { return os.Mkdir(path, 0o755) }

func (sysWindows) RemoveEmptyDir(path string) error {
	err := os.Remove(path) // fails on a folder that is not empty
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func (sysWindows) SecurityDescriptor(path string) (string, error) {
	sd, err := win.GetNamedSecurityInfo(path, win.SE_FILE_OBJECT,
		win.OWNER_SECURITY_INFORMATION|win.DACL_SECURITY_INFORMATION|win.LABEL_SECURITY_INFORMATION)
	if err != nil {
		return "", err
	}
	return sd.String(), nil
}

// SetDACL sets the explicit entries; SetNamedSecurityInfo recomputes
// the inherited ones and propagates inheritable entries to the children.
func (sysWindows) SetDACL(path, sddl string) error {
	sd, err := win.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	info := win.SECURITY_INFORMATION(win.DACL_SECURITY_INFORMATION | win.UNPROTECTED_DACL_SECURITY_INFORMATION)
	if d, err := parseDACL(sddl); err == nil && strings.Contains(d.flags, "P") {
		info = win.DACL_SECURITY_INFORMATION | win.PROTECTED_DACL_SECURITY_INFORMATION
	}
	return win.SetNamedSecurityInfo(path, win.SE_FILE_OBJECT, info, nil, nil, dacl, nil)
}

func (sysWindows) SetLabel(path, sddl string) error {
	sd, err := win.SecurityDescriptorFromString(sddl)
	if err != nil {
		return err
	}
	sacl, _, err := sd.SACL()
	if err != nil {
		return err
	}
	return win.SetNamedSecurityInfo(path, win.SE_FILE_OBJECT, win.LABEL_SECURITY_INFORMATION,
		nil, nil, nil, sacl)
}

func (sysWindows) Run(argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{HideWindow: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", argv[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}

func wstr(s string) *uint16 {
	p, err := win.UTF16PtrFromString(s)
	if err != nil {
		return nil // a NUL in s: the call fails on the empty name
	}
	return p
}

// randomPassword returns 32 random characters from every class Windows'
// complexity policy counts.
func randomPassword() (string, error) {
	const classes = "abcdefghijkmnopqrstuvwxyz" + "ABCDEFGHJKLMNPQRSTUVWXYZ" + "23456789" + "!#%+-=?@^_"
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := []byte("aA2!") // one of each class
	for _, c := range b[4:] {
		out = append(out, classes[int(c)%len(classes)])
	}
	return string(out), nil
}
