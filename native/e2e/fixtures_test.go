package e2e

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// replayName is the name a fixture's object is replayed under: Nodes keep theirs (the agent's
// node binding compares it), every other object takes the fixture's file name (unique).
func replayName(f fixture) (replayed, original string) {
	object, _ := f.request["object"].(map[string]any)
	original = str(object, "metadata", "name")
	if original == "" {
		original, _ = f.request["name"].(string)
	}
	if kind, _ := f.request["kind"].(map[string]any); kind["kind"] == "Node" {
		return original, original
	}
	// A Pod with only a generateName (as a ReplicaSet creates it) keeps it: the API server
	// names it before validating admission, so the native message names the generated name.
	if original == "" && str(object, "metadata", "generateName") != "" && f.request["operation"] == "CREATE" {
		return "", ""
	}
	return f.file, original
}

// generatedName matches a name the API server generated from a generateName.
var generatedName = regexp.MustCompile(`([a-z0-9-]+-)[bcdfghjklmnpqrstvwxz2-9]{5}\b`)

// storeOldObjects stores the old objects of a rule's UPDATE fixtures with the rule's binding
// removed: an old object may already break the rule (an UPDATE rejects only new violations),
// and the binding would refuse to store it.
func storeOldObjects(t *testing.T, ctx context.Context, c *client, rule string, all []fixture) map[string]*unstructured.Unstructured {
	t.Helper()
	binding := &unstructured.Unstructured{}
	binding.SetAPIVersion("admissionregistration.k8s.io/v1")
	binding.SetKind("ValidatingAdmissionPolicyBinding")
	binding.SetName(rule)
	resource, err := c.resource(binding)
	if err != nil {
		t.Fatal(err)
	}
	if err := resource.Delete(ctx, rule, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The admission plugin drops the binding when its watch sees the deletion.
	time.Sleep(2 * time.Second)
	live := map[string]*unstructured.Unstructured{}
	for _, f := range all {
		old, ok := f.request["oldObject"].(map[string]any)
		if f.request["operation"] != "UPDATE" || !ok {
			continue
		}
		namespace, _ := f.request["namespace"].(string)
		if namespace != "" {
			if err := c.namespace(ctx, namespace, serviceAccounts(old)...); err != nil {
				t.Fatal(err)
			}
		}
		name, _ := replayName(f)
		// One the API server's validation refuses is counted by the replay, which tries again.
		if stored, err := createOld(ctx, c, stored(old, name, namespace)); err == nil {
			live[f.file] = stored
		}
	}
	if err := c.applyFiles(ctx, repo("native", rule, "binding-deny.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := waitEnforced(ctx); err != nil {
		t.Fatal(err)
	}
	return live
}

// counts tallies one pass of a rule's fixtures.
type counts struct{ agreed, notExpressible, refused, changed int }

// judgeAll replays every fixture of a rule and holds the API server's verdict (and message,
// and for placement the admitted Pod's placement) to the Kubewarden policy's, with `settings`
// both as the Kubewarden settings and as the binding's parameters.
func judgeAll(t *testing.T, ctx context.Context, c *client, rule string, all []fixture, settings map[string]any,
	live map[string]*unstructured.Unstructured) counts {
	t.Helper()
	expected, err := kubewarden(rule, settings, requestsOf(all))
	if err != nil {
		t.Fatal(err)
	}
	var n counts
	for i, f := range all {
		got := judged(ctx, c, rule, f, live)
		want := expected[i]
		switch {
		case got.notExpressible != "":
			n.notExpressible++
			t.Logf("not an API call: %s: %s", f.file, got.notExpressible)
		case got.refused != "":
			n.refused++
			t.Logf("refused by the API server before admission: %s: %s", f.file, firstLine(got.refused))
		case (got.denied == "") != want.Allowed:
			if why := changedBeforeAdmission(t, rule, f, settings, got); why != "" {
				n.changed++
				t.Logf("changed by the API server before admission: %s: %s", f.file, why)
				continue
			}
			t.Errorf("%s %v: API server %q, Kubewarden allowed=%v %q", f.file, settings, got.denied, want.Allowed, want.Message)
		case !want.Allowed && !sameReason(got.denied, want.Message):
			t.Errorf("%s %v: messages differ:\n  API server: %s\n  Kubewarden: %s", f.file, settings, got.denied, want.Message)
		case want.Allowed && got.object != nil && rule == "antrea-controller-placement" && !samePlacement(t, f, want, got):
			// samePlacement reported the difference
		default:
			n.agreed++
		}
	}
	t.Logf("%s %v: %d fixtures: %d agree in a real API server, %d not API calls, %d refused before admission, %d changed before admission",
		rule, settings, len(all), n.agreed, n.notExpressible, n.refused, n.changed)
	if n.agreed == 0 {
		t.Error("no fixture was judged")
	}
	return n
}

func requestsOf(all []fixture) []map[string]any {
	requests := make([]map[string]any, len(all))
	for i, f := range all {
		requests[i] = f.request
	}
	return requests
}

// judged is the API server's answer to a fixture, its message naming the fixture's object.
func judged(ctx context.Context, c *client, rule string, f fixture, live map[string]*unstructured.Unstructured) replayed {
	name, original := replayName(f)
	got := replay(ctx, c, rule, f, name, live[f.file])
	if name == "" {
		got.denied = generatedName.ReplaceAllString(got.denied, "$1")
	} else {
		got.denied = restoreName(got.denied, name, original)
	}
	return got
}

func TestFixturesGetTheKubewardenVerdict(t *testing.T) {
	c := edition(t)
	ctx := context.Background()
	grantReplayGroup(t, ctx, c)
	antreaObjects(t, ctx, c) // Antrea's CRDs: one fixture updates an AntreaAgentInfo.
	for _, rule := range []string{"antrea-hostpath-guard", "antrea-agent-status-updates", "antrea-controller-placement"} {
		t.Run(rule, func(t *testing.T) {
			all, err := fixtures(rule)
			if err != nil {
				t.Fatal(err)
			}
			var live map[string]*unstructured.Unstructured
			if rule == "antrea-hostpath-guard" {
				live = storeOldObjects(t, ctx, c, rule, all)
			}
			judgeAll(t, ctx, c, rule, all, map[string]any{}, live)
			t.Cleanup(func() { setParams(t, ctx, c, rule, map[string]any{}) })
			for _, settings := range otherSettings[rule] {
				setParams(t, ctx, c, rule, settings)
				waitParams(t, ctx, c, rule, all, settings, live)
				judgeAll(t, ctx, c, rule, all, settings, live)
			}
		})
	}
}

func firstLine(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// changedBeforeAdmission explains a verdict that differs because the API server changed the
// request before admission (a subresource keeps only its own fields): the Kubewarden policy,
// asked about the object the API server admitted, agrees with it. "" when it does not.
func changedBeforeAdmission(t *testing.T, rule string, f fixture, settings map[string]any, got replayed) string {
	if got.object == nil {
		return ""
	}
	request := map[string]any{}
	for key, value := range f.request {
		request[key] = value
	}
	request["object"] = got.object
	verdicts, err := kubewarden(rule, settings, []map[string]any{request})
	if err != nil {
		t.Fatal(err)
	}
	if !verdicts[0].Allowed {
		return ""
	}
	return "the object it admitted is allowed by the Kubewarden policy too"
}

// sameReason: the messages are equal, or the native one names the changed members
// (`status`, `metadata.labels`) where the Kubewarden one names the changed leaves under them
// (`status.conditions`, `metadata.labels.app`): CEL has no recursion to find the leaves.
func sameReason(native, kubewarden string) bool {
	if native == kubewarden {
		return true
	}
	const changed = ": changed "
	n, k := strings.Index(native, changed), strings.Index(kubewarden, changed)
	if n < 0 || k < 0 || native[:n] != kubewarden[:k] {
		return false
	}
	members := strings.Split(native[n+len(changed):], ", ")
	leaves := strings.Split(kubewarden[k+len(changed):], ", ")
	under := func(leaf, member string) bool {
		return leaf == member || strings.HasPrefix(leaf, member+".") || strings.HasPrefix(leaf, member+"[")
	}
	for _, leaf := range leaves {
		if strings.HasPrefix(leaf, "and ") {
			continue // "and N more": the Kubewarden message lists ten
		}
		if !slices.ContainsFunc(members, func(m string) bool { return under(leaf, m) }) {
			return false
		}
	}
	for _, member := range members {
		if !slices.ContainsFunc(leaves, func(l string) bool { return under(l, member) }) {
			return false
		}
	}
	return true
}
