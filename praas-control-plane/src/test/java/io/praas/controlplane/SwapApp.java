package io.praas.controlplane;

import io.praas.controlplane.swapapp.PutState;
import io.praas.function.Function;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The swap tests' application ({@code io.praas.controlplane.swapapp}: putState, getState, count,
 * fill, digest, slow) as a real application jar built at test time from the compiled classes of
 * that package, with {@code META-INF/services/io.praas.function.Function} listing them. The
 * control plane stores it and its processes load it through their own class loader, as they would
 * a user's jar (the local backend leaves test-classes off their classpath).
 *
 * <pre>{@code
 * SwapApp.deploy(api, "keeper", Map.of("resources", ControlPlanes.SMALL));
 * }</pre>
 */
final class SwapApp {
    private static final String PACKAGE_PATH = PutState.class.getPackageName().replace('.', '/');
    private static byte[] jar;

    private SwapApp() {
    }

    /** The jar's bytes, built once per JVM. */
    static synchronized byte[] jar() {
        if (jar == null) {
            jar = build();
        }
        return jar.clone();
    }

    /**
     * Creates application {@code name} with {@code spec} (resources, limits, swap: as the REST API
     * takes them) and uploads the jar.
     */
    static void deploy(Api api, String name, Map<String, Object> spec) {
        Map<String, Object> body = new java.util.HashMap<>(spec);
        body.put("name", name);
        Api.Reply created = api.post("/v1/applications", body);
        assertThat(created.status()).as("create %s: %s", name, created).isEqualTo(201);
        Api.Reply uploaded = api.put("/v1/applications/" + name + "/code", jar(), "application/java-archive");
        assertThat(uploaded.status()).as("upload %s: %s", name, uploaded).isEqualTo(200);
    }

    private static byte[] build() {
        List<Path> classFiles = classFiles();
        StringBuilder services = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            for (Path classFile : classFiles) {
                String simple = classFile.getFileName().toString().replaceFirst("\\.class$", "");
                out.putNextEntry(new JarEntry(PACKAGE_PATH + "/" + classFile.getFileName()));
                out.write(Files.readAllBytes(classFile));
                out.closeEntry();
                if (isFunction(PutState.class.getPackageName() + "." + simple)) {
                    services.append(PutState.class.getPackageName()).append('.').append(simple).append('\n');
                }
            }
            out.putNextEntry(new JarEntry("META-INF/services/" + Function.class.getName()));
            out.write(services.toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the swap test application jar", e);
        }
        assertThat(services.toString()).as("functions of %s", PACKAGE_PATH).contains("PutState", "Slow");
        return bytes.toByteArray();
    }

    /** The .class files of the swapapp package, next to PutState's in test-classes. */
    private static List<Path> classFiles() {
        URL self = PutState.class.getResource(PutState.class.getSimpleName() + ".class");
        if (self == null || !"file".equals(self.getProtocol())) {
            throw new IllegalStateException("the swap application's classes must be in a directory, not " + self);
        }
        try (Stream<Path> files = Files.list(Path.of(self.toURI()).getParent())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".class")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isFunction(String className) {
        try {
            Class<?> c = Class.forName(className, false, SwapApp.class.getClassLoader());
            return Function.class.isAssignableFrom(c) && Modifier.isPublic(c.getModifiers())
                    && !Modifier.isAbstract(c.getModifiers()) && !c.isInterface();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("cannot load " + className, e);
        }
    }
}
