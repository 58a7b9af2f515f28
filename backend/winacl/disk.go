package winacl

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/permc/permc/ir"
)

// SD is the security descriptor of one path as NTFS stores it: the owner,
// the explicit entries only (inherited ones are computed from the
// parents), whether inheritance is cut, and an explicit label.
type SD struct {
	Owner     SID
	DACL      []ACE
	Protected bool   // SE_DACL_PROTECTED: nothing is inherited
	Label     *Label // nil: inherited, or Medium when nothing is
}

// Disk is an in-memory model of Windows volumes and shares with their
// security descriptors. It computes inheritance as NTFS does after a
// completed propagation, answers access checks for a token at a path,
// and applies a resolved manifest as the applier would, including the
// applier's own right to change each descriptor.
type Disk struct {
	vols map[string]*dnode // by folded head: "c:", `\\server\share`
}

type dnode struct {
	name string
	dir  bool
	sd   SD
	kids map[string]*dnode
}

// NewDisk returns an empty disk.
func NewDisk() *Disk { return &Disk{vols: map[string]*dnode{}} }

func fold(s string) string { return strings.ToLower(s) }

func split(path string) ([]string, error) {
	c, ok := ir.SplitPath(ir.Windows, path)
	if !ok {
		return nil, fmt.Errorf("not an absolute windows path: %q", path)
	}
	return c, nil
}

// Add creates path as a file or folder with descriptor sd. A volume or
// share ("C:", `\\srv\share`) is added first; other parents must exist.
func (d *Disk) Add(path string, dir bool, sd SD) error {
	c, err := split(path)
	if err != nil {
		return err
	}
	n := &dnode{name: c[len(c)-1], dir: dir, sd: sd, kids: map[string]*dnode{}}
	if len(c) == 1 {
		n.dir = true
		d.vols[fold(c[0])] = n
		return nil
	}
	parent, ok := d.lookup(c[:len(c)-1])
	if !ok || !parent.dir {
		return fmt.Errorf("no folder %q for %q", ir.JoinPath(ir.Windows, c[:len(c)-1]), path)
	}
	parent.kids[fold(n.name)] = n
	return nil
}

// lookup returns the node at c, or false.
func (d *Disk) lookup(c []string) (*dnode, bool) {
	chain, ok := d.chain(c)
	if !ok {
		return nil, false
	}
	return chain[len(chain)-1], true
}

// chain returns the nodes from the volume down to c; false when some
// component is missing. The prefix that exists is returned either way.
func (d *Disk) chain(c []string) ([]*dnode, bool) {
	if len(c) == 0 {
		return nil, false
	}
	n, ok := d.vols[fold(c[0])]
	if !ok {
		return nil, false
	}
	out := []*dnode{n}
	for _, name := range c[1:] {
		k, ok := n.kids[fold(name)]
		if !ok {
			return out, false
		}
		out = append(out, k)
		n = k
	}
	return out, true
}

// effective computes the object of the last node of chain, then of the
// missing components (folders, the last one a file) owned by owner.
func effective(chain []*dnode, missing int, owner SID) *Object {
	var dacl []ACE
	var label *Label
	for i, n := range chain {
		if i == 0 || n.sd.Protected {
			dacl = slices.Clone(n.sd.DACL)
		} else {
			dacl = append(slices.Clone(n.sd.DACL), inherit(dacl, n.dir, n.sd.Owner)...)
		}
		label = inheritLabel(label, n.sd.Label, n.dir, i == 0)
	}
	last := chain[len(chain)-1]
	obj := &Object{Owner: last.sd.Owner, Dir: last.dir}
	for i := 0; i < missing; i++ {
		dir := i < missing-1
		dacl = inherit(dacl, dir, owner)
		label = inheritLabel(label, nil, dir, false)
		obj = &Object{Owner: owner, Dir: dir}
	}
	obj.DACL = dacl
	obj.Label = Medium
	if label != nil && label.Flags&InheritOnly == 0 {
		obj.Label = label.Level
	}
	return obj
}

// inherit returns the entries a child inherits from its parent's
// effective DACL, as CreatePrivateObjectSecurity computes them.
func inherit(parent []ACE, dir bool, owner SID) []ACE {
	var out []ACE
	for _, a := range parent {
		out = append(out, inheritOne(a, dir, owner)...)
	}
	return out
}

func inheritOne(a ACE, dir bool, owner SID) []ACE {
	np := a.Flags&NoPropagate != 0
	switch {
	case !dir && a.Flags&ObjectInherit != 0:
		return []ACE{{a.Type, Inherited, a.Mask, creator(a.SID, owner)}}
	case dir && a.Flags&ContainerInherit != 0:
		eff := ACE{a.Type, Inherited, a.Mask, creator(a.SID, owner)}
		if np {
			return []ACE{eff}
		}
		if a.SID == SIDCreatorOwner {
			io := ACE{a.Type, a.Flags&InheritTree | InheritOnly | Inherited, a.Mask, a.SID}
			return []ACE{eff, io}
		}
		eff.Flags = a.Flags&InheritTree | Inherited
		return []ACE{eff}
	case dir && a.Flags&ObjectInherit != 0 && !np:
		return []ACE{{a.Type, ObjectInherit | InheritOnly | Inherited, a.Mask, a.SID}}
	}
	return nil
}

func creator(sid, owner SID) SID {
	if sid == SIDCreatorOwner {
		return owner
	}
	return sid
}

// inheritLabel returns the label a node carries: its own, or the one it
// inherits from the parent's label, whose flags say where it flows.
func inheritLabel(parent, own *Label, dir, top bool) *Label {
	if own != nil {
		return own
	}
	if parent == nil || top {
		return nil
	}
	switch {
	case !dir && parent.Flags&ObjectInherit != 0:
		return &Label{parent.Level, Inherited}
	case dir && parent.Flags&ContainerInherit != 0:
		return &Label{parent.Level, parent.Flags&InheritTree | Inherited}
	case dir && parent.Flags&ObjectInherit != 0:
		return &Label{parent.Level, ObjectInherit | InheritOnly | Inherited}
	}
	return nil
}

// Object returns the effective security of path; for a path that does
// not exist, the security it would inherit if someone else created it.
func (d *Disk) Object(path string) (*Object, bool, error) {
	c, err := split(path)
	if err != nil {
		return nil, false, err
	}
	chain, ok := d.chain(c)
	if len(chain) == 0 {
		return nil, false, fmt.Errorf("no volume %q", c[0])
	}
	return effective(chain, len(c)-len(chain), SIDNobody), ok, nil
}

// Access answers what tok may do at path: for a missing path, what it
// could do there if the path were created by someone else.
func (d *Disk) Access(tok *Token, path string) (Grant, error) {
	obj, _, err := d.Object(path)
	if err != nil {
		return Grant{}, err
	}
	return grantOf(AccessCheck(tok, obj)), nil
}

// CanCreate reports whether tok can create the missing path (and its
// missing parents) and then write it: it needs to add files and folders
// in the nearest folder that exists, and write rights on what it made.
func (d *Disk) CanCreate(tok *Token, path string) (bool, error) {
	c, err := split(path)
	if err != nil {
		return false, err
	}
	chain, ok := d.chain(c)
	if ok || len(chain) == 0 {
		return false, nil
	}
	need := FileWriteData
	if len(c)-len(chain) > 1 {
		need |= FileAppendData
	}
	parent := effective(chain, 0, "")
	if AccessCheck(tok, parent)&need != need {
		return false, nil
	}
	made := effective(chain, len(c)-len(chain), tok.User)
	return grantOf(AccessCheck(tok, made)).Write, nil
}

// Stat implements FS.
func (d *Disk) Stat(path string) (FileInfo, bool) {
	c, err := split(path)
	if err != nil {
		return FileInfo{}, false
	}
	n, ok := d.lookup(c)
	if !ok {
		return FileInfo{}, false
	}
	fi := FileInfo{Dir: n.dir, Protected: n.sd.Protected || len(c) == 1}
	for _, a := range n.sd.DACL {
		fi.ExplicitAllow = fi.ExplicitAllow || a.Type == Allow
	}
	return fi, true
}

// ReadDir implements FS: the names in folder path, sorted.
func (d *Disk) ReadDir(path string) ([]string, error) {
	c, err := split(path)
	if err != nil {
		return nil, err
	}
	n, ok := d.lookup(c)
	if !ok || !n.dir {
		return nil, fmt.Errorf("not a folder: %q", path)
	}
	names := make([]string, 0, len(n.kids))
	for _, k := range n.kids {
		names = append(names, k.name)
	}
	sort.Strings(names)
	return names, nil
}

// ErrAccessDenied is returned when the applier may not change a path.
var ErrAccessDenied = errors.New("access denied")

// Apply changes the disk as the applier would with the token applier:
// create the placeholders, then merge each node's entries into its
// explicit DACL and set its label. bind maps placeholders to SIDs. It
// stops at the first path the applier has no right to change.
func (d *Disk) Apply(r *Resolved, bind map[SID]SID, applier *Token) error {
	for _, m := range r.Mkdirs {
		if err := d.mkdir(m.Path, applier); err != nil {
			return err
		}
	}
	ours := map[SID]bool{}
	for _, p := range r.Principals {
		ours[bindSID(p, bind)] = true
	}
	for _, n := range r.Nodes {
		if err := d.setNode(n, bind, ours, applier); err != nil {
			return err
		}
	}
	return nil
}

func (d *Disk) mkdir(path string, applier *Token) error {
	c, err := split(path)
	if err != nil {
		return err
	}
	chain, ok := d.chain(c)
	if ok {
		return nil
	}
	if len(chain) != len(c)-1 {
		return fmt.Errorf("mkdir %s: parent missing", path)
	}
	if AccessCheck(applier, effective(chain, 0, ""))&FileAppendData == 0 {
		return fmt.Errorf("mkdir %s: %w", path, ErrAccessDenied)
	}
	return d.Add(path, true, SD{Owner: defaultOwner(applier)})
}

// defaultOwner is the owner of what tok creates: Administrators for an
// elevated administrator, as Windows sets it, else the user.
func defaultOwner(tok *Token) SID {
	if tok.Integrity >= High && tok.normalMatcher()(SIDAdministrators, false) {
		return SIDAdministrators
	}
	return tok.User
}

func (d *Disk) setNode(n Node, bind map[SID]SID, ours map[SID]bool, applier *Token) error {
	c, err := split(n.Path)
	if err != nil {
		return err
	}
	chain, ok := d.chain(c)
	if !ok {
		return fmt.Errorf("set acl %s: path missing", n.Path)
	}
	node := chain[len(chain)-1]
	granted := AccessCheck(applier, effective(chain, 0, ""))
	if granted&WriteDAC == 0 || (n.Label != nil && granted&WriteOwner == 0) {
		return fmt.Errorf("set acl %s: %w", n.Path, ErrAccessDenied)
	}
	aces := make([]ACE, len(n.ACEs))
	for i, a := range n.ACEs {
		a.SID = bindSID(a.SID, bind)
		aces[i] = a
	}
	node.sd.DACL = MergeExplicit(node.sd.DACL, aces,
		func(a ACE) bool { return ours[a.SID] },
		func(a ACE) bool { return a.Type == Deny },
		func(a ACE) bool { return a.Flags&Inherited != 0 })
	if n.Label != nil {
		l := *n.Label
		node.sd.Label = &l
	}
	return nil
}

func bindSID(s SID, bind map[SID]SID) SID {
	if b, ok := bind[s]; ok {
		return b
	}
	return s
}

// Descriptor returns the stored (explicit) descriptor of path.
func (d *Disk) Descriptor(path string) (SD, bool) {
	c, err := split(path)
	if err != nil {
		return SD{}, false
	}
	n, ok := d.lookup(c)
	if !ok {
		return SD{}, false
	}
	sd := n.sd
	sd.DACL = slices.Clone(sd.DACL)
	return sd, true
}

// SetDescriptor replaces the stored descriptor of path.
func (d *Disk) SetDescriptor(path string, sd SD) error {
	c, err := split(path)
	if err != nil {
		return err
	}
	n, ok := d.lookup(c)
	if !ok {
		return fmt.Errorf("no such path: %q", path)
	}
	n.sd = sd
	return nil
}

// Remove deletes a file or an empty folder.
func (d *Disk) Remove(path string) error {
	c, err := split(path)
	if err != nil {
		return err
	}
	chain, ok := d.chain(c)
	if !ok || len(chain) < 2 {
		return fmt.Errorf("no such path: %q", path)
	}
	n := chain[len(chain)-1]
	if len(n.kids) > 0 {
		return fmt.Errorf("folder not empty: %q", path)
	}
	delete(chain[len(chain)-2].kids, fold(n.name))
	return nil
}
