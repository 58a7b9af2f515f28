package winacl

import "fmt"

// StockUser is the interactive user of StockDisk: a developer account
// that belongs to Administrators (deny-only in its unelevated token).
const StockUser SID = "S-1-5-21-1004336348-1177238915-682003330-1001"

// StockOtherUser is a second account with its own profile folder.
const StockOtherUser SID = "S-1-5-21-1004336348-1177238915-682003330-1002"

func allow(f ACEFlags, m Mask, s SID) ACE { return ACE{Allow, f, m, s} }

// systemTree is the DACL of C:\Windows, System32 and Program Files:
// TrustedInstaller owns them and alone has full control of the folder
// itself; SYSTEM and Administrators may modify it and control what is
// created below; Users and both application-package groups read and
// execute, on the folder and, inherited, below it.
func systemTree() []ACE {
	return []ACE{
		allow(0, FullControl, SIDTrustedInstaller),
		allow(ContainerInherit|InheritOnly, GenericAll, SIDTrustedInstaller),
		allow(0, Modify, SIDSystem),
		allow(InheritTree|InheritOnly, GenericAll, SIDSystem),
		allow(0, Modify, SIDAdministrators),
		allow(InheritTree|InheritOnly, GenericAll, SIDAdministrators),
		allow(0, ReadExecute, SIDUsers),
		allow(InheritTree|InheritOnly, GenericRead|GenericExecute, SIDUsers),
		allow(InheritTree|InheritOnly, GenericAll, SIDCreatorOwner),
		allow(0, ReadExecute, SIDAllAppPackages),
		allow(InheritTree|InheritOnly, GenericRead|GenericExecute, SIDAllAppPackages),
		allow(0, ReadExecute, SIDAllRestrictedAppPackages),
		allow(InheritTree|InheritOnly, GenericRead|GenericExecute, SIDAllRestrictedAppPackages),
	}
}

// systemFile is the DACL of a file TrustedInstaller installed, such as
// System32\kernel32.dll: explicit entries only, inheritance cut.
func systemFile() SD {
	return SD{Owner: SIDTrustedInstaller, Protected: true, DACL: []ACE{
		allow(0, FullControl, SIDTrustedInstaller),
		allow(0, ReadExecute, SIDAdministrators),
		allow(0, ReadExecute, SIDSystem),
		allow(0, ReadExecute, SIDUsers),
		allow(0, ReadExecute, SIDAllAppPackages),
		allow(0, ReadExecute, SIDAllRestrictedAppPackages),
	}}
}

// volumeRoot is the DACL of C:\ on a stock install: authenticated users
// may create folders, and modify what is created below.
func volumeRoot() SD {
	return SD{Owner: SIDSystem, Protected: true, DACL: []ACE{
		allow(InheritTree, FullControl, SIDAdministrators),
		allow(InheritTree, FullControl, SIDSystem),
		allow(InheritTree, ReadExecute, SIDUsers),
		allow(InheritTree|InheritOnly, Modify, SIDAuthenticatedUsers),
		allow(0, FileAppendData|Synchronize, SIDAuthenticatedUsers),
	}}
}

// adminOnly is a folder only SYSTEM and Administrators open, such as
// System32\config or ProgramData\ssh.
func adminOnly(owner SID) SD {
	return SD{Owner: owner, Protected: true, DACL: []ACE{
		allow(InheritTree, FullControl, SIDSystem),
		allow(InheritTree, FullControl, SIDAdministrators),
	}}
}

// ProfileSD is the DACL of a user profile folder: SYSTEM, Administrators
// and the user, inheritance cut, so nobody else reads it.
func ProfileSD(user SID) SD {
	return SD{Owner: user, Protected: true, DACL: []ACE{
		allow(InheritTree, FullControl, SIDSystem),
		allow(InheritTree, FullControl, SIDAdministrators),
		allow(InheritTree, FullControl, user),
	}}
}

type stockEntry struct {
	path string
	dir  bool
	sd   SD
}

// inherited is the descriptor of a path with only inherited entries.
func inherited(owner SID) SD { return SD{Owner: owner} }

func stockSystem() []stockEntry {
	ti := SD{Owner: SIDTrustedInstaller, Protected: true, DACL: systemTree()}
	return []stockEntry{
		{`C:`, true, volumeRoot()},
		{`C:\Windows`, true, ti},
		{`C:\Windows\System32`, true, ti},
		{`C:\Windows\System32\kernel32.dll`, false, systemFile()},
		{`C:\Windows\System32\cmd.exe`, false, systemFile()},
		{`C:\Windows\System32\drivers`, true, inherited(SIDTrustedInstaller)},
		{`C:\Windows\System32\drivers\etc`, true, inherited(SIDTrustedInstaller)},
		{`C:\Windows\System32\drivers\etc\hosts`, false, inherited(SIDTrustedInstaller)},
		{`C:\Windows\System32\config`, true, adminOnly(SIDSystem)},
		{`C:\Windows\System32\config\SAM`, false, inherited(SIDSystem)},
		{`C:\Windows\Temp`, true, SD{Owner: SIDSystem, Protected: true, DACL: []ACE{
			allow(InheritTree|InheritOnly, GenericAll, SIDCreatorOwner),
			allow(InheritTree, FullControl, SIDSystem),
			allow(InheritTree, FullControl, SIDAdministrators),
			allow(ContainerInherit, Synchronize|FileWriteData|FileAppendData|FileExecute, SIDUsers),
		}}},
		{`C:\Program Files`, true, ti},
		{`C:\Program Files\Git`, true, inherited(SIDTrustedInstaller)},
		{`C:\Program Files\Git\bin`, true, inherited(SIDTrustedInstaller)},
		{`C:\Program Files\Git\bin\git.exe`, false, inherited(SIDTrustedInstaller)},
		{`C:\Program Files (x86)`, true, ti},
		{`C:\Program Files (x86)\Tool`, true, inherited(SIDTrustedInstaller)},
		{`C:\Program Files (x86)\Tool\tool.exe`, false, inherited(SIDTrustedInstaller)},
	}
}

func stockData() []stockEntry {
	return []stockEntry{
		{`C:\ProgramData`, true, SD{Owner: SIDSystem, Protected: true, DACL: []ACE{
			allow(InheritTree, FullControl, SIDSystem),
			allow(InheritTree, FullControl, SIDAdministrators),
			allow(InheritTree|InheritOnly, GenericAll, SIDCreatorOwner),
			allow(InheritTree, ReadExecute, SIDUsers),
			allow(ContainerInherit, FileWriteData|FileAppendData|FileWriteEA|FileWriteAttributes, SIDUsers),
		}}},
		{`C:\ProgramData\chocolatey`, true, inherited(SIDAdministrators)},
		{`C:\ProgramData\chocolatey\bin`, true, inherited(SIDAdministrators)},
		{`C:\ProgramData\chocolatey\bin\choco.exe`, false, inherited(SIDAdministrators)},
		{`C:\ProgramData\ssh`, true, adminOnly(SIDSystem)},
		{`C:\ProgramData\ssh\ssh_host_ed25519_key`, false, inherited(SIDSystem)},
		{`C:\Users`, true, SD{Owner: SIDSystem, Protected: true, DACL: []ACE{
			allow(InheritTree, FullControl, SIDSystem),
			allow(InheritTree, FullControl, SIDAdministrators),
			allow(InheritTree, ReadExecute, SIDUsers),
			allow(0, ReadExecute, SIDEveryone),
		}}},
		{`C:\Users\Public`, true, SD{Owner: SIDSystem, DACL: []ACE{
			allow(InheritTree, Modify, SIDInteractive),
		}}},
		{`C:\Users\Public\shared.txt`, false, inherited(SIDSystem)},
	}
}

func stockProfile(dir string, user SID) []stockEntry {
	sshKey := SD{Owner: user, Protected: true, DACL: []ACE{
		allow(0, FullControl, SIDSystem), allow(0, FullControl, user)}}
	out := []stockEntry{{dir, true, ProfileSD(user)}}
	for _, e := range []struct {
		rel string
		dir bool
	}{
		{`notes.txt`, false}, {`.ssh`, true}, {`Documents`, true}, {`Documents\taxes.pdf`, false},
		{`Documents\codex`, true}, {`Documents\codex\a.txt`, false},
		{`AppData`, true}, {`AppData\Local`, true}, {`AppData\Local\Temp`, true},
		{`AppData\Local\Temp\t.txt`, false}, {`AppData\Local\Programs`, true},
		{`AppData\Local\Programs\Python`, true}, {`AppData\Local\Programs\Python\python.exe`, false},
	} {
		out = append(out, stockEntry{dir + `\` + e.rel, e.dir, inherited(user)})
	}
	return append(out, stockEntry{dir + `\.ssh\id_ed25519`, false, sshKey})
}

// StockDisk returns a model of a stock Windows 11 install, C: only: the
// system folders with the ACLs Windows ships (TrustedInstaller-owned,
// inheritance cut on the system files, application packages admitted),
// ProgramData with its admin-only ssh folder, C:\Users with a profile
// for StockUser (C:\Users\dev) and one for StockOtherUser
// (C:\Users\other), each readable by its owner alone.
func StockDisk() *Disk {
	d := NewDisk()
	all := append(stockSystem(), stockData()...)
	all = append(all, stockProfile(`C:\Users\dev`, StockUser)...)
	all = append(all, stockProfile(`C:\Users\other`, StockOtherUser)...)
	for _, e := range all {
		if err := d.Add(e.path, e.dir, e.sd); err != nil {
			panic(fmt.Sprintf("bug: stock disk: %v", err))
		}
	}
	return d
}
