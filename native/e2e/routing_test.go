package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// The ClusterAdmissionPolicies of deploy/.
const (
	routingStatusUpdates           = "antrea-agent-status-updates"
	routingHostPathGuard           = "antrea-hostpath-guard"
	routingHostPathGuardKubewarden = "antrea-hostpath-guard-kubewarden"
	routingPlacement               = "antrea-controller-placement"
)

// Names no other test uses.
const (
	routingNode   = "e2e-routing-worker-1"
	routingTenant = "e2e-routing-tenant"
	routingRBAC   = "e2e-routing-antrea-agent-status"
	routingProbe  = "e2e-routing-probe"
)

var routingSAGroups = []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}

// routingRequest is one API call: a create of object, or a merge patch of it (of a subresource).
type routingRequest struct {
	as          *client
	object      *unstructured.Unstructured
	patch       map[string]any
	subresource string
	dryRun      bool
}

func (r routingRequest) send(ctx context.Context) error {
	resource, err := r.as.resource(r.object)
	if err != nil {
		return err
	}
	var dryRun []string
	if r.dryRun {
		dryRun = []string{metav1.DryRunAll}
	}
	if r.patch == nil {
		_, err = resource.Create(ctx, r.object, metav1.CreateOptions{DryRun: dryRun})
		return err
	}
	data, err := json.Marshal(r.patch)
	if err != nil {
		return err
	}
	var subresources []string
	if r.subresource != "" {
		subresources = []string{r.subresource}
	}
	_, err = resource.Patch(ctx, r.object.GetName(), types.MergePatchType, data, metav1.PatchOptions{DryRun: dryRun}, subresources...)
	return err
}

func routingObject(apiVersion, kind, namespace, name string, spec map[string]any) *unstructured.Unstructured {
	metadata := map[string]any{"name": name}
	if namespace != "" {
		metadata["namespace"] = namespace
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": metadata}
	if spec != nil {
		o["spec"] = spec
	}
	return &unstructured.Unstructured{Object: o}
}

// podSpec runs one container (no host path: every edition's policies admit it) as a
// ServiceAccount, named in serviceAccountName (or the deprecated serviceAccount) when not "".
func routingPodSpec(serviceAccountField, serviceAccount string) map[string]any {
	spec := map[string]any{"containers": []any{map[string]any{"name": "app", "image": "busybox"}}}
	if serviceAccount != "" {
		spec[serviceAccountField] = serviceAccount
	}
	return spec
}

func routingPod(namespace, name, serviceAccount string) *unstructured.Unstructured {
	return routingObject("v1", "Pod", namespace, name, routingPodSpec("serviceAccountName", serviceAccount))
}

func routingDeployment(namespace, name string) *unstructured.Unstructured {
	labels := map[string]any{"app": name}
	return routingObject("apps/v1", "Deployment", namespace, name, map[string]any{
		"selector": map[string]any{"matchLabels": labels},
		"template": map[string]any{"metadata": map[string]any{"labels": labels}, "spec": routingPodSpec("", "")},
	})
}

// awaitRouting sends each policy's probe until the policy is reached (inEffect) or no longer
// reached (!inEffect): the API server loads webhook configurations from a watch.
func awaitRouting(ctx context.Context, rec *webhookRecorder, probes map[string]routingRequest, inEffect bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	pending := map[string]string{}
	for policy := range probes {
		pending[policy] = "no answer yet"
	}
	for {
		for policy := range pending {
			probe := probes[policy]
			reviews, err := rec.during(probe.object.GetNamespace(), probe.object.GetName(), func() error { return probe.send(ctx) })
			reached := slices.ContainsFunc(reviews, func(r webhookReview) bool { return r.policy == policy })
			switch {
			case reached == inEffect:
				delete(pending, policy)
			case err != nil:
				pending[policy] = err.Error()
			default:
				pending[policy] = fmt.Sprintf("probe admitted, reviews %v", reviews)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %v", timeout, pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRoutingOfTheKubewardenManifests(t *testing.T) {
	started := time.Now()
	ctx := context.Background()
	admin, err := newClient(shared.config)
	if err != nil {
		t.Fatal(err)
	}
	policies, err := deployPolicies()
	if err != nil {
		t.Fatalf("reading deploy/: %v", err)
	}
	names := map[string]bool{}
	for _, p := range policies {
		if names[p.name] {
			t.Fatalf("deploy/ defines ClusterAdmissionPolicy %s twice", p.name)
		}
		names[p.name] = true
	}
	expected := []string{routingStatusUpdates, routingHostPathGuard, routingHostPathGuardKubewarden, routingPlacement}
	for _, name := range expected {
		if !names[name] {
			t.Errorf("deploy/ has no ClusterAdmissionPolicy %s", name)
		}
		delete(names, name)
	}
	for name := range names {
		t.Errorf("deploy/ has ClusterAdmissionPolicy %s, which this test has no expectations for", name)
	}
	if t.Failed() {
		t.FailNow()
	}

	// What the requests need, made before any webhook is in place: namespaces and
	// ServiceAccounts, the agent's RBAC (from no other test), a Node and a Pod on it.
	ensureNamespace(t, ctx, admin, "kube-system")
	controllerSA := routingObject("v1", "ServiceAccount", "kube-system", "antrea-controller", nil)
	if resource, err := admin.resource(controllerSA); err != nil {
		t.Fatal(err)
	} else if _, err := resource.Create(ctx, controllerSA, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("ServiceAccount kube-system/antrea-controller: %v", err)
	}
	ensureNamespace(t, ctx, admin, routingKubewardenNamespace)
	ensureNamespace(t, ctx, admin, routingTenant, "antrea-controller")
	role := routingObject("rbac.authorization.k8s.io/v1", "ClusterRole", "", routingRBAC, nil)
	role.Object["rules"] = []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"pods/status", "nodes/status"}, "verbs": []any{"patch", "update"}}}
	binding := routingObject("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", routingRBAC, nil)
	binding.Object["roleRef"] = map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": routingRBAC}
	binding.Object["subjects"] = []any{map[string]any{"kind": "ServiceAccount", "name": "antrea-agent", "namespace": "kube-system"}}
	workerNode := routingObject("v1", "Node", "", routingNode, nil)
	tenantPod := routingPod(routingTenant, "e2e-routing-web", "")
	if err := unstructured.SetNestedField(tenantPod.Object, routingNode, "spec", "nodeName"); err != nil {
		t.Fatal(err)
	}
	created := []*unstructured.Unstructured{role, binding, workerNode, tenantPod}
	t.Cleanup(func() {
		for _, o := range created {
			// A PersistentVolume keeps its pv-protection finalizer: no controller runs here.
			resource, err := admin.resource(o)
			if err == nil {
				_, err = resource.Patch(context.Background(), o.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
			}
			if err == nil {
				err = resource.Delete(context.Background(), o.GetName(), metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
			}
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("removing %s %s: %v", o.GetKind(), o.GetName(), err)
			}
		}
	})
	for _, o := range created {
		if err := admin.apply(ctx, o); err != nil {
			t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}

	impersonate := func(user string, groups []string, extra map[string][]string) *client {
		c, err := admin.as(user, groups, extra)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	kubeletUser := "system:node:" + routingNode
	kubelet := impersonate(kubeletUser, []string{"system:nodes", "system:authenticated"}, nil)
	agent := impersonate(agentUser, routingSAGroups, map[string][]string{nodeNameClaim: {routingNode}})
	replicaSetControllerUser := "system:serviceaccount:kube-system:replicaset-controller"
	replicaSetController := impersonate(replicaSetControllerUser, routingSAGroups, nil)
	nodeAnnotation := annotation("node.antrea.io/mac-address", "0a:58:0a:f4:00:01")

	// The recording webhook, and each policy rendered as kubewarden-controller renders it.
	// Cleanups run last first: the configurations are deleted, then the API server is seen
	// to stop calling the recording webhook, then it stops.
	rec := startWebhookRecorder(t)
	probes := map[string]routingRequest{
		routingStatusUpdates:           {as: agent, object: workerNode, patch: nodeAnnotation, subresource: "status", dryRun: true},
		routingHostPathGuard:           {as: admin, object: routingPod(routingTenant, routingProbe, ""), dryRun: true},
		routingHostPathGuardKubewarden: {as: admin, object: routingPod(routingKubewardenNamespace, routingProbe, ""), dryRun: true},
		routingPlacement:               {as: admin, object: routingPod("kube-system", routingProbe, "antrea-controller"), dryRun: true},
	}
	t.Cleanup(func() {
		removing := time.Now()
		if err := awaitRouting(context.Background(), rec, probes, false, 30*time.Second); err != nil {
			t.Errorf("deleted webhook configurations are still called: %v", err)
		} else {
			t.Logf("webhook configurations out of effect after %s", time.Since(removing).Round(time.Millisecond))
		}
	})
	for _, p := range policies {
		p.install(t, ctx, rec)
	}
	if err := awaitRouting(ctx, rec, probes, true, 30*time.Second); err != nil {
		t.Fatalf("the webhook configurations do not take effect: %v", err)
	}
	t.Logf("webhook configurations in effect after %s", time.Since(started).Round(time.Millisecond))

	kubewardenPod := routingPod(routingKubewardenNamespace, "e2e-routing-kubewarden-pod", "")
	deprecatedField := routingObject("v1", "Pod", "kube-system", "e2e-routing-antrea-controller-deprecated", routingPodSpec("serviceAccount", "antrea-controller"))
	heartbeat := map[string]any{"status": map[string]any{"conditions": []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": time.Now().UTC().Format(time.RFC3339),
	}}}}
	for _, step := range []struct {
		what string
		routingRequest
		user, operation string
		want            []string
	}{
		// antrea-agent-status-updates: the agent's status patches only.
		{"kubelet heartbeat (nodes/status of its own Node)", routingRequest{as: kubelet, object: workerNode, patch: heartbeat, subresource: "status"}, kubeletUser, "UPDATE", nil},
		{"kubelet updates the status of a Pod on its Node", routingRequest{as: kubelet, object: tenantPod, patch: map[string]any{"status": map[string]any{"phase": "Running"}}, subresource: "status"}, kubeletUser, "UPDATE", nil},
		{"the admin annotates a Node through nodes/status", routingRequest{as: admin, object: workerNode, patch: annotation("e2e-routing", "admin"), subresource: "status"}, "e2e-admin", "UPDATE", nil},
		{"the agent annotates a Pod on its Node through pods/status", routingRequest{as: agent, object: tenantPod, patch: annotation("nodeportlocal.antrea.io", "[]"), subresource: "status"}, agentUser, "UPDATE", []string{routingStatusUpdates}},
		{"the agent annotates its Node through nodes/status", routingRequest{as: agent, object: workerNode, patch: nodeAnnotation, subresource: "status"}, agentUser, "UPDATE", []string{routingStatusUpdates}},
		// The hostPath guards: Kubewarden's namespace through the Ignore companion only.
		{"a Pod is created in Kubewarden's namespace", routingRequest{as: admin, object: kubewardenPod}, "e2e-admin", "CREATE", []string{routingHostPathGuardKubewarden}},
		{"a Pod in Kubewarden's namespace is relabelled", routingRequest{as: admin, object: kubewardenPod, patch: map[string]any{"metadata": map[string]any{"labels": map[string]any{"e2e-routing": "relabelled"}}}}, "e2e-admin", "UPDATE", []string{routingHostPathGuardKubewarden}},
		{"a Deployment is created in Kubewarden's namespace", routingRequest{as: admin, object: routingDeployment(routingKubewardenNamespace, "e2e-routing-kubewarden-deployment")}, "e2e-admin", "CREATE", []string{routingHostPathGuardKubewarden}},
		{"a tenant's Pod is created", routingRequest{as: admin, object: routingPod(routingTenant, "e2e-routing-tenant-pod", "")}, "e2e-admin", "CREATE", []string{routingHostPathGuard}},
		{"a tenant's Deployment is created", routingRequest{as: admin, object: routingDeployment(routingTenant, "e2e-routing-tenant-deployment")}, "e2e-admin", "CREATE", []string{routingHostPathGuard}},
		// Cluster-scoped: no namespaceSelector applies, so both guards are called.
		{"a PersistentVolume is created", routingRequest{as: admin, object: routingObject("v1", "PersistentVolume", "", "e2e-routing-pv", map[string]any{
			"capacity": map[string]any{"storage": "1Gi"}, "accessModes": []any{"ReadWriteOnce"}, "hostPath": map[string]any{"path": "/srv/e2e-routing"},
		})}, "e2e-admin", "CREATE", []string{routingHostPathGuard, routingHostPathGuardKubewarden}},
		// antrea-controller-routingPlacement: Antrea's controller Pods only.
		{"the ReplicaSet controller creates Antrea's controller Pod", routingRequest{as: replicaSetController, object: routingPod("kube-system", "e2e-routing-antrea-controller", "antrea-controller")}, replicaSetControllerUser, "CREATE", []string{routingHostPathGuard, routingPlacement}},
		{"Antrea's controller Pod names its ServiceAccount in the deprecated spec.serviceAccount", routingRequest{as: admin, object: deprecatedField}, "e2e-admin", "CREATE", []string{routingHostPathGuard, routingPlacement}},
		{"another kube-system Pod is created (ServiceAccount default)", routingRequest{as: admin, object: routingPod("kube-system", "e2e-routing-other-kube-system-pod", "")}, "e2e-admin", "CREATE", []string{routingHostPathGuard}},
		{"a tenant's Pod runs as a ServiceAccount named antrea-controller", routingRequest{as: admin, object: routingPod(routingTenant, "e2e-routing-tenant-antrea-controller", "antrea-controller")}, "e2e-admin", "CREATE", []string{routingHostPathGuard}},
	} {
		if step.patch == nil {
			created = append(created, step.object)
		}
		reviews, err := rec.during(step.object.GetNamespace(), step.object.GetName(), func() error {
			// The Node authorizer learns of a Pod's Node from a watch: a kubelet may be
			// refused for a moment after the Pod is created.
			deadline := time.Now().Add(10 * time.Second)
			for {
				err := step.send(ctx)
				if !apierrors.IsForbidden(err) || step.as != kubelet || time.Now().After(deadline) {
					return err
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
		if err != nil {
			t.Errorf("%s: the request failed (the recording webhook allows everything): %v", step.what, err)
			continue
		}
		var reached []string
		for _, r := range reviews {
			reached = append(reached, r.policy)
			if r.user != step.user || r.operation != step.operation || r.subResource != step.subresource || r.dryRun {
				t.Errorf("%s: %s got a review for %s %s (subresource %q, dry run %v), want %s %s (subresource %q)",
					step.what, r.policy, r.user, r.operation, r.subResource, r.dryRun, step.user, step.operation, step.subresource)
			}
		}
		slices.Sort(reached)
		want := slices.Sorted(slices.Values(step.want))
		if !slices.Equal(reached, want) {
			t.Errorf("%s: reached %s, want %s (reviews: %v)", step.what, routingList(reached), routingList(want), reviews)
		} else {
			t.Logf("%s: reached %s", step.what, routingList(reached))
		}
	}
	rec.mu.Lock()
	for _, e := range rec.errors {
		t.Errorf("the recording webhook got a malformed request: %s", e)
	}
	rec.mu.Unlock()
	t.Logf("routing checked in %s", time.Since(started).Round(time.Millisecond))
}

func routingList(policies []string) string {
	if len(policies) == 0 {
		return "no policy"
	}
	return strings.Join(policies, ", ")
}
