/// The objects the end-to-end tests create, as kubectl manifests.
enum Manifests {
    /// Namespace `demo`, ConfigMap `settings` (data.greeting = `greeting`) and Pod `web-1` (container
    /// `main`, image `nginx`), in that order: kubectl prints one line per object in this order.
    static func demo(greeting: String = "hello") -> String {
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: demo
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: demo
        data:
          greeting: \(greeting)
        ---
        \(pod("web-1"))
        """
    }

    /// Pod `name` in namespace `demo` with one container `main` running `nginx`.
    static func pod(_ name: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: \(name)
          namespace: demo
          labels:
            app: web
        spec:
          containers:
          - name: main
            image: nginx
        """
    }

    /// What `kubectl create -f` prints for ``demo(greeting:)``.
    static let demoCreated = ["namespace/demo created", "configmap/settings created", "pod/web-1 created"]
}
