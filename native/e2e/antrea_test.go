package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

const (
	agentUser     = "system:serviceaccount:kube-system:antrea-agent"
	nodeNameClaim = "authentication.kubernetes.io/node-name"
)

// antreaManifest is Antrea's release manifest, vendored once for the whole repository.
var antreaManifest = repo("vendor", "antrea", "antrea.yml")

// notServedHere are the kinds of Antrea's manifest this API server cannot serve: they point at
// the antrea Service, which no Pod backs here (no scheduler, no kubelet), and would fail every
// request they intercept.
var notServedHere = map[string]bool{
	"APIService": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
}

// antreaObjects applies Antrea's release manifest and returns its DaemonSet and Deployment.
func antreaObjects(t testing.TB, ctx context.Context, c *client) (daemonSet, deployment *unstructured.Unstructured) {
	t.Helper()
	objects, err := documents(antreaManifest)
	if err != nil {
		t.Fatal(err)
	}
	ensureNamespace(t, ctx, c, "kube-system")
	for _, object := range objects {
		if notServedHere[object.GetKind()] {
			continue
		}
		if err := c.applyWhenServed(ctx, object); err != nil {
			t.Fatalf("Antrea's %s %s is not admitted: %v", object.GetKind(), object.GetName(), err)
		}
		switch object.GetKind() {
		case "DaemonSet":
			daemonSet = object
		case "Deployment":
			deployment = object
		}
	}
	if daemonSet == nil || deployment == nil {
		t.Fatal("Antrea's manifest has no DaemonSet or no Deployment")
	}
	return daemonSet, deployment
}

// podFrom is the Pod a workload controller creates from a template.
func podFrom(t testing.TB, workload *unstructured.Unstructured, generateName, nodeName string) *unstructured.Unstructured {
	t.Helper()
	template, ok, err := unstructured.NestedMap(workload.Object, "spec", "template")
	if !ok || err != nil {
		t.Fatalf("%s has no pod template: %v", workload.GetName(), err)
	}
	pod := &unstructured.Unstructured{Object: template}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetNamespace(workload.GetNamespace())
	pod.SetGenerateName(generateName)
	if nodeName != "" {
		if err := unstructured.SetNestedField(pod.Object, nodeName, "spec", "nodeName"); err != nil {
			t.Fatal(err)
		}
	}
	return pod
}

func create(t testing.TB, ctx context.Context, c *client, object *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	resource, err := c.resource(object)
	if err != nil {
		t.Fatal(err)
	}
	created, err := resource.Create(ctx, object, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating %s %s%s: %v", object.GetKind(), object.GetName(), object.GetGenerateName(), err)
	}
	return created
}

func node(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Node", "metadata": map[string]any{"name": name},
	}}
}

// patchStatus sends a merge patch through the status subresource; the policy's message on
// refusal, "" when admitted.
func patchStatus(t *testing.T, ctx context.Context, c *client, object *unstructured.Unstructured, patch map[string]any) string {
	t.Helper()
	resource, err := c.resource(object)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(patch)
	_, err = resource.Patch(ctx, object.GetName(), types.MergePatchType, data, metav1.PatchOptions{}, "status")
	return denial(err)
}

func annotation(key, value string) map[string]any {
	return map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: value}}}
}

func TestAntreaReleaseUnderTheNativeEdition(t *testing.T) {
	c := edition(t)
	ctx := context.Background()
	daemonSet, deployment := antreaObjects(t, ctx, c)
	worker1, worker2 := create(t, ctx, c, node("worker-1")), create(t, ctx, c, node("worker-2"))

	// The controller's Pod, created as the ReplicaSet controller creates it, is placed on
	// secure Nodes: read back from the API server.
	replicaSetController, err := c.as("system:serviceaccount:kube-system:replicaset-controller",
		[]string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	controller := create(t, ctx, replicaSetController, podFrom(t, deployment, "antrea-controller-5c9b4f7d8-", ""))
	terms, _, _ := unstructured.NestedSlice(controller.Object, "spec", "affinity", "nodeAffinity",
		"requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
	wantTerm := `[{"matchExpressions":[{"key":"node-role.kubernetes.io/control-plane","operator":"Exists"}]}]`
	if got, _ := json.Marshal(terms); string(got) != wantTerm {
		t.Errorf("controller Pod's required terms: got %s, want %s", got, wantTerm)
	}
	tolerations, _, _ := unstructured.NestedSlice(controller.Object, "spec", "tolerations")
	if got, _ := json.Marshal(tolerations); !strings.Contains(string(got),
		`{"effect":"NoSchedule","key":"node-role.kubernetes.io/control-plane","operator":"Exists"}`) {
		t.Errorf("controller Pod does not tolerate the control-plane taint: %s", got)
	}

	// The agent's own Pod and a tenant's Pod on worker-1.
	create(t, ctx, c, podFrom(t, daemonSet, "antrea-agent-", "worker-1"))
	ensureNamespace(t, ctx, c, "tenant-a")
	tenant := create(t, ctx, c, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "web-1", "namespace": "tenant-a", "labels": map[string]any{"app": "web"}},
		"spec":     map[string]any{"nodeName": "worker-1", "containers": []any{map[string]any{"name": "web", "image": "nginx"}}},
	}})

	agent, err := c.as(agentUser, []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"},
		map[string][]string{nodeNameClaim: {"worker-1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name   string
		object *unstructured.Unstructured
		patch  map[string]any
		want   string
	}{
		{"agent annotates a Pod on its Node", tenant, annotation("nodeportlocal.antrea.io", `[{"podPort":80,"nodeIP":"10.0.0.1","nodePort":61000,"protocol":"tcp"}]`), ""},
		{"agent annotates its Node", worker1, annotation("node.antrea.io/mac-address", "0a:58:0a:f4:00:01"), ""},
		{"agent re-labels a Pod", tenant, map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "evil"}}},
			agentUser + " may only change annotations of Pod tenant-a/web-1: changed metadata.labels"},
		{"agent annotates another Node", worker2, annotation("node.antrea.io/mac-address", "0a:58:0a:f4:00:02"),
			agentUser + " is bound to Node worker-1 and may not update Node worker-2"},
	} {
		if got := patchStatus(t, ctx, agent, step.object, step.patch); got != step.want {
			t.Errorf("%s: got %q, want %q", step.name, got, step.want)
		}
	}

	// A kubelet's heartbeat is not the agent's: untouched.
	kubelet, err := c.as("system:node:worker-1", []string{"system:nodes", "system:authenticated"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	heartbeat := map[string]any{"status": map[string]any{"conditions": []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": "2026-12-01T00:00:00Z",
	}}}}
	if got := patchStatus(t, ctx, kubelet, worker1, heartbeat); got != "" {
		t.Errorf("kubelet heartbeat: %s", got)
	}

	// A tenant's Pod mounting the agent's socket directory through /run is refused.
	resource, _ := c.resource(hostPathPod("sniffer", "tenant-a", "/run/antrea"))
	_, err = resource.Create(ctx, hostPathPod("sniffer", "tenant-a", "/run/antrea"), metav1.CreateOptions{})
	want := `Pod tenant-a/sniffer mounts host paths that reach protected paths: spec.volumes[0] "host" hostPath "/run/antrea" reaches protected path "/run/antrea"`
	if got := denial(err); got != want {
		t.Errorf("tenant hostPath Pod: got %q, want %q", got, want)
	}
}
