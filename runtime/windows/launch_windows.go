//go:build windows

package windows

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	win "golang.org/x/sys/windows"

	"github.com/permc/permc/backend/winacl"
)

var (
	advapi32                    = win.NewLazySystemDLL("advapi32.dll")
	procCreateRestrictedToken   = advapi32.NewProc("CreateRestrictedToken")
	procCreateProcessWithLogonW = advapi32.NewProc("CreateProcessWithLogonW")
)

const (
	disableMaxPrivilege = 0x1
	writeRestricted     = 0x8
	logonWithProfile    = 0x1
	// procThreadAttributeSecurityCapabilities is
	// PROC_THREAD_ATTRIBUTE_SECURITY_CAPABILITIES.
	procThreadAttributeSecurityCapabilities = 0x00020009
)

// securityCapabilities is SECURITY_CAPABILITIES.
type securityCapabilities struct {
	AppContainerSid *win.SID
	Capabilities    *win.SIDAndAttributes
	CapabilityCount uint32
	Reserved        uint32
}

// Process is a started sandboxed process.
type Process struct {
	handle win.Handle
	Pid    uint32
}

// Wait waits for the process and returns its exit code.
func (p *Process) Wait() (uint32, error) {
	defer win.CloseHandle(p.handle)
	if _, err := win.WaitForSingleObject(p.handle, win.INFINITE); err != nil {
		return 0, err
	}
	var code uint32
	err := win.GetExitCodeProcess(p.handle, &code)
	return code, err
}

// Launch starts argv in the sandbox of an applied plan. Unelevated, it
// makes a write-restricted token from its own and starts the command.
// Elevated, it gives the sandbox user a fresh random password and starts
// permc again as that user (CreateProcessWithLogonW) with the InnerSpec;
// that second stage makes the sandbox token from its own (RunInner).
// It refuses an unrestricted plan: running without a sandbox is the
// caller's explicit decision, not a fallback.
func Launch(p *Plan, a *Applied, argv []string, dir string, env []string) (*Process, error) {
	if p.Unrestricted {
		return nil, errors.New("unrestricted plan: nothing to launch in a sandbox")
	}
	spec, err := innerSpec(p, a, argv, dir, env)
	if err != nil {
		return nil, err
	}
	if p.Resolved.Model == winacl.ModelWriteRestricted {
		return startRestricted(spec)
	}
	user, ok := sandboxUser(p)
	if !ok {
		return nil, errors.New("plan has no sandbox user")
	}
	pw, err := randomPassword()
	if err != nil {
		return nil, err
	}
	if err := setPassword(user, pw); err != nil {
		return nil, fmt.Errorf("set password of %s: %w", user, err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	arg, err := spec.Encode()
	if err != nil {
		return nil, err
	}
	return startWithLogon(user, pw, []string{self, InnerArg, arg}, dir)
}

// RunInner is the second stage: permc running as the sandbox user starts
// the command with the token the spec describes, made from its own.
func RunInner(arg string) (*Process, error) {
	spec, err := DecodeInner(arg)
	if err != nil {
		return nil, err
	}
	switch spec.Model {
	case winacl.ModelAppContainer:
		return startInContainer(spec)
	case winacl.ModelSandboxUser:
		return startRestricted(spec)
	}
	return nil, fmt.Errorf("inner spec: model %q does not start here", spec.Model)
}

// startRestricted makes a write-restricted token from the process's own
// (restricting SIDs plus its logon SID, every privilege but
// SeChangeNotify dropped, the deny-only SIDs turned deny-only) and
// starts the command with it.
func startRestricted(spec *InnerSpec) (*Process, error) {
	var tok win.Token
	access := uint32(win.TOKEN_DUPLICATE | win.TOKEN_QUERY | win.TOKEN_ASSIGN_PRIMARY |
		win.TOKEN_ADJUST_DEFAULT | win.TOKEN_ADJUST_SESSIONID)
	if err := win.OpenProcessToken(win.CurrentProcess(), access, &tok); err != nil {
		return nil, err
	}
	defer tok.Close()
	restrict, err := sidAttrs(spec.Restricting)
	if err != nil {
		return nil, err
	}
	logon, err := logonSID(tok)
	if err != nil {
		return nil, err
	}
	restrict = append(restrict, win.SIDAndAttributes{Sid: logon})
	deny, err := sidAttrs(spec.DenyOnly)
	if err != nil {
		return nil, err
	}
	rt, err := createRestrictedToken(tok, deny, restrict)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	return createAsUser(rt, spec)
}

func sidAttrs(sids []winacl.SID) ([]win.SIDAndAttributes, error) {
	var out []win.SIDAndAttributes
	for _, s := range sids {
		sid, err := win.StringToSid(string(s))
		if err != nil {
			return nil, fmt.Errorf("sid %s: %w", s, err)
		}
		out = append(out, win.SIDAndAttributes{Sid: sid})
	}
	return out, nil
}

// logonSID finds the logon SID among the token's groups.
func logonSID(tok win.Token) (*win.SID, error) {
	groups, err := tok.GetTokenGroups()
	if err != nil {
		return nil, err
	}
	for _, g := range groups.AllGroups() {
		if g.Attributes&win.SE_GROUP_LOGON_ID == win.SE_GROUP_LOGON_ID {
			return g.Sid.Copy()
		}
	}
	return nil, errors.New("token has no logon sid")
}

func createRestrictedToken(tok win.Token, deny, restrict []win.SIDAndAttributes) (win.Token, error) {
	var out win.Token
	r, _, err := procCreateRestrictedToken.Call(uintptr(tok), disableMaxPrivilege|writeRestricted,
		uintptr(len(deny)), firstAttr(deny), 0, 0,
		uintptr(len(restrict)), firstAttr(restrict), uintptr(unsafe.Pointer(&out)))
	if r == 0 {
		return 0, fmt.Errorf("create restricted token: %w", err)
	}
	return out, nil
}

func firstAttr(a []win.SIDAndAttributes) uintptr {
	if len(a) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&a[0]))
}

func createAsUser(tok win.Token, spec *InnerSpec) (*Process, error) {
	cmd, dir, env, err := processArgs(spec)
	if err != nil {
		return nil, err
	}
	si := win.StartupInfo{Cb: uint32(unsafe.Sizeof(win.StartupInfo{}))}
	var pi win.ProcessInformation
	err = win.CreateProcessAsUser(tok, nil, cmd, nil, nil, false,
		win.CREATE_UNICODE_ENVIRONMENT, env, dir, &si, &pi)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", spec.Argv[0], err)
	}
	win.CloseHandle(pi.Thread)
	return &Process{handle: pi.Process, Pid: pi.ProcessId}, nil
}

// startInContainer starts the command in the AppContainer of the spec,
// from the process's own token (the sandbox user's).
func startInContainer(spec *InnerSpec) (*Process, error) {
	container, err := win.StringToSid(string(spec.AppContainer))
	if err != nil {
		return nil, err
	}
	caps, err := capabilityAttrs(spec.Capabilities)
	if err != nil {
		return nil, err
	}
	sc := securityCapabilities{AppContainerSid: container, CapabilityCount: uint32(len(caps))}
	if len(caps) > 0 {
		sc.Capabilities = &caps[0]
	}
	attrs, err := win.NewProcThreadAttributeList(1)
	if err != nil {
		return nil, err
	}
	defer attrs.Delete()
	if err := attrs.Update(procThreadAttributeSecurityCapabilities, unsafe.Pointer(&sc),
		unsafe.Sizeof(sc)); err != nil {
		return nil, err
	}
	return createWithAttrs(spec, attrs)
}

func createWithAttrs(spec *InnerSpec, attrs *win.ProcThreadAttributeListContainer) (*Process, error) {
	cmd, dir, env, err := processArgs(spec)
	if err != nil {
		return nil, err
	}
	si := win.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	si.Cb = uint32(unsafe.Sizeof(si))
	var pi win.ProcessInformation
	err = win.CreateProcess(nil, cmd, nil, nil, false,
		win.EXTENDED_STARTUPINFO_PRESENT|win.CREATE_UNICODE_ENVIRONMENT, env, dir,
		&si.StartupInfo, &pi)
	if err != nil {
		return nil, fmt.Errorf("start %s in appcontainer: %w", spec.Argv[0], err)
	}
	win.CloseHandle(pi.Thread)
	return &Process{handle: pi.Process, Pid: pi.ProcessId}, nil
}

// startWithLogon starts argv as user, logged on with its profile.
func startWithLogon(user, pw string, argv []string, dir string) (*Process, error) {
	cmd, err := win.UTF16PtrFromString(win.ComposeCommandLine(argv))
	if err != nil {
		return nil, err
	}
	si := win.StartupInfo{Cb: uint32(unsafe.Sizeof(win.StartupInfo{}))}
	var pi win.ProcessInformation
	r, _, err := procCreateProcessWithLogonW.Call(uintptr(unsafe.Pointer(wstr(user))),
		uintptr(unsafe.Pointer(wstr("."))), uintptr(unsafe.Pointer(wstr(pw))), logonWithProfile,
		0, uintptr(unsafe.Pointer(cmd)), win.CREATE_UNICODE_ENVIRONMENT, 0,
		uintptr(unsafe.Pointer(wstr(dir))), uintptr(unsafe.Pointer(&si)),
		uintptr(unsafe.Pointer(&pi)))
	if r == 0 {
		return nil, fmt.Errorf("start as %s: %w", user, err)
	}
	win.CloseHandle(pi.Thread)
	return &Process{handle: pi.Process, Pid: pi.ProcessId}, nil
}

// processArgs renders the command line, folder and environment block.
func processArgs(spec *InnerSpec) (cmd, dir, env *uint16, err error) {
	if cmd, err = win.UTF16PtrFromString(win.ComposeCommandLine(spec.Argv)); err != nil {
		return nil, nil, nil, err
	}
	if dir, err = win.UTF16PtrFromString(spec.Dir); err != nil {
		return nil, nil, nil, err
	}
	block, err := envBlock(spec.Env)
	if err != nil {
		return nil, nil, nil, err
	}
	return cmd, dir, &block[0], nil
}

// envBlock renders "K=V\0K=V\0\0" as UTF-16 ("\0\0" when empty).
func envBlock(env []string) ([]uint16, error) {
	var out []uint16
	if len(env) == 0 {
		out = append(out, 0)
	}
	for _, kv := range env {
		if strings.ContainsRune(kv, 0) {
			return nil, fmt.Errorf("environment entry holds a nul: %q", kv)
		}
		u, err := win.UTF16FromString(kv)
		if err != nil {
			return nil, err
		}
		out = append(out, u...)
	}
	return append(out, 0), nil
}
