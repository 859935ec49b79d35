"""The demo's scenes, one module each; `sandbox.demo` plays them in order."""
