package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// replayGroup is added to every replayed requester, and bound to cluster-admin: RBAC is not
// under test, admission is. No setting of the policies names it.
const replayGroup = "e2e:fixture-replay"

// replayed is what the API server answered a fixture sent as a real call.
type replayed struct {
	// Why the fixture cannot be an API call at all (a missing or non-object object).
	notExpressible string
	// The API server refused it before admission (validation, immutable fields): its error.
	refused string
	// The policy's message, "" when admitted.
	denied string
	// The admitted object (dry run: nothing is stored).
	object map[string]any
}

// names maps the name each fixture's object is replayed under (its file name, unique) back to
// the fixture's own name in messages.
func restoreName(message, replayedName, name string) string {
	return strings.ReplaceAll(message, replayedName, name)
}

func str(m map[string]any, keys ...string) string {
	value, _, _ := unstructured.NestedString(m, keys...)
	return value
}

// stored is an object as a client writes it: without what the API server sets itself.
func stored(object map[string]any, name, namespace string) *unstructured.Unstructured {
	copied := runtime.DeepCopyJSON(object)
	u := &unstructured.Unstructured{Object: copied}
	for _, field := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(u.Object, "metadata", field)
	}
	u.SetName(name)
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	return u
}

// serviceAccounts are the ServiceAccounts a workload's pod spec names (the ServiceAccount
// admission plugin refuses a Pod whose ServiceAccount does not exist).
func serviceAccounts(objects ...map[string]any) []string {
	var names []string
	for _, object := range objects {
		for _, path := range [][]string{{"spec"}, {"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}} {
			for _, field := range []string{"serviceAccountName", "serviceAccount"} {
				if name := str(object, append(path, field)...); name != "" {
					names = append(names, name)
				}
			}
		}
	}
	return names
}

// requester is a client acting as the fixture's userInfo (username, groups, extra: a bound
// token's node-name claim among them), plus replayGroup.
func requester(c *client, request map[string]any) (*client, error) {
	userInfo, _ := request["userInfo"].(map[string]any)
	username, _ := userInfo["username"].(string)
	groups := []string{replayGroup}
	if list, ok := userInfo["groups"].([]any); ok {
		for _, g := range list {
			if s, ok := g.(string); ok {
				groups = append(groups, s)
			}
		}
	}
	extra := map[string][]string{}
	if m, ok := userInfo["extra"].(map[string]any); ok {
		for key, values := range m {
			if list, ok := values.([]any); ok {
				for _, v := range list {
					if s, ok := v.(string); ok {
						extra[key] = append(extra[key], s)
					}
				}
			}
		}
	}
	return c.as(username, groups, extra)
}

// classify turns an API call's error into the policy's denial or a refusal before admission.
func classify(rule string, err error) replayed {
	switch {
	case err == nil:
		return replayed{}
	case strings.Contains(err.Error(), "ValidatingAdmissionPolicy '"+rule+"'"):
		return replayed{denied: denial(err)}
	default:
		return replayed{refused: err.Error()}
	}
}

// createOld stores an UPDATE's old object (with its status, which a create drops) as the admin.
func createOld(ctx context.Context, c *client, old *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	resource, err := c.resource(old)
	if err != nil {
		return nil, err
	}
	if err := remove(ctx, resource, old.GetName()); err != nil {
		return nil, err
	}
	live, err := resource.Create(ctx, old, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	if status, ok := old.Object["status"]; ok && (old.GetKind() == "Pod" || old.GetKind() == "Node") {
		live.Object["status"] = status
		return resource.UpdateStatus(ctx, live, metav1.UpdateOptions{})
	}
	return live, nil
}

// remove deletes an object a previous replay stored, finalizers included (no controller runs
// here to clear them), and waits until it is gone.
func remove(ctx context.Context, resource dynamic.ResourceInterface, name string) error {
	existing, err := resource.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(existing.GetFinalizers()) > 0 {
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		if _, err := resource.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return err
		}
	}
	propagation := metav1.DeletePropagationBackground
	err = resource.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0)), PropagationPolicy: &propagation})
	for deadline := time.Now().Add(10 * time.Second); err == nil; {
		if _, err = resource.Get(ctx, name, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not deleted after 10 s", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// replay sends a fixture as the real call it stands for, as its requester, with dry run. An
// UPDATE's old object is stored first, unless `live` is it, stored already.
func replay(ctx context.Context, c *client, rule string, f fixture, name string, live *unstructured.Unstructured) replayed {
	r := f.request
	object, ok := r["object"].(map[string]any)
	if !ok {
		return replayed{notExpressible: "request.object is not an object"}
	}
	old, _ := r["oldObject"].(map[string]any)
	operation, _ := r["operation"].(string)
	if operation != "CREATE" && operation != "UPDATE" {
		// Neither edition judges another operation; a DELETE or CONNECT carries no object.
		return replayed{notExpressible: "operation " + operation + " is not replayed"}
	}
	if operation == "UPDATE" && old == nil {
		return replayed{notExpressible: "request.oldObject is not an object"}
	}
	namespace, _ := r["namespace"].(string)
	if namespace != "" {
		if err := c.namespace(ctx, namespace, serviceAccounts(object, old)...); err != nil {
			return replayed{refused: err.Error()}
		}
	}
	user, err := requester(c, r)
	if err != nil {
		return replayed{refused: err.Error()}
	}
	subresource, _ := r["subResource"].(string)
	sent := stored(object, name, namespace)
	resource, err := user.resource(sent)
	if err != nil {
		return replayed{refused: err.Error()}
	}
	dryRun := []string{metav1.DryRunAll}
	var answer *unstructured.Unstructured
	if operation == "CREATE" {
		answer, err = resource.Create(ctx, sent, metav1.CreateOptions{DryRun: dryRun})
	} else {
		if live == nil {
			var oldErr error
			if live, oldErr = createOld(ctx, c, stored(old, name, namespace)); oldErr != nil {
				return replayed{refused: "storing the old object: " + oldErr.Error()}
			}
		}
		sent.SetResourceVersion(live.GetResourceVersion())
		sub := []string{}
		if subresource != "" {
			sub = append(sub, subresource)
		}
		answer, err = resource.Update(ctx, sent, metav1.UpdateOptions{DryRun: dryRun}, sub...)
	}
	out := classify(rule, err)
	if answer != nil {
		out.object = answer.Object
	}
	return out
}

// grantReplayGroup binds cluster-admin to replayGroup.
func grantReplayGroup(t testing.TB, ctx context.Context, c *client) {
	t.Helper()
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "e2e-fixture-replay"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": replayGroup}},
	}}
	if err := c.apply(ctx, binding); err != nil {
		t.Fatal(err)
	}
}

func pretty(v any) string {
	data, _ := json.Marshal(v)
	return fmt.Sprintf("%s", data)
}
