package io.praas.bench;

import io.praas.bench.app.Echo;
import io.praas.bench.app.Fill;
import io.praas.bench.app.StateSize;
import io.praas.function.Function;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The benchmarks' own application ({@code io.praas.bench.app}: fill, stateSize, echo) as a real
 * application jar, built at bench time from this module's compiled classes with
 * {@code META-INF/services/io.praas.function.Function} listing them. The control plane stores it
 * and its processes load it through their own class loader, as they would a user's jar.
 *
 * <pre>{@code
 * bench.deploy("swapbench", BenchApp.jar(), Map.of("resources", Map.of("vcpu", 2, "memoryMiB", 3072)));
 * }</pre>
 */
final class BenchApp {
    /** The function classes; the package holds no other classes (no inner classes, no lambdas' hosts). */
    private static final List<Class<? extends Function<?, ?>>> FUNCTIONS = List.of(Fill.class, StateSize.class, Echo.class);
    private static byte[] jar;

    private BenchApp() {
    }

    /** The jar's bytes, built once per JVM. */
    static synchronized byte[] jar() {
        if (jar == null) {
            jar = build();
        }
        return jar.clone();
    }

    private static byte[] build() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        StringBuilder services = new StringBuilder();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            for (Class<?> c : FUNCTIONS) {
                String entry = c.getName().replace('.', '/') + ".class";
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    if (in == null) {
                        throw new IllegalStateException("class file " + entry + " not found on the classpath");
                    }
                    out.putNextEntry(new JarEntry(entry));
                    in.transferTo(out);
                    out.closeEntry();
                }
                services.append(c.getName()).append('\n');
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + Function.class.getName()));
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the benchmark application jar", e);
        }
        return bytes.toByteArray();
    }
}
