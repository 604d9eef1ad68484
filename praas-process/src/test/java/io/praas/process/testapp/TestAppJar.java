package io.praas.process.testapp;

import io.praas.function.Function;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The test application as a real application jar, built at test time: the compiled classes of this
 * package plus {@code META-INF/services/io.praas.function.Function} listing its functions. A process
 * started with it loads the functions through its own application class loader, as it would a
 * user's jar ({@code LocalProcess} leaves test-classes off the process's classpath).
 *
 * <pre>{@code
 * LocalProcess p = LocalProcess.builder(TestAppJar.path()).arg("--dev").start();
 * }</pre>
 */
public final class TestAppJar {
    /** The application name a process derives from the jar's file name. */
    public static final String APPLICATION = "testapp";

    private static final String PACKAGE_PATH = TestAppJar.class.getPackageName().replace('.', '/');
    private static Path jar;

    private TestAppJar() {
    }

    /** The jar, built once per JVM in a temporary directory that is deleted on exit. */
    public static synchronized Path path() {
        if (jar == null) {
            jar = build();
        }
        return jar;
    }

    private static Path build() {
        List<Path> classFiles = classFiles();
        List<Class<?>> functions = functionClasses(classFiles);
        try {
            Path dir = Files.createTempDirectory("praas-testapp-");
            Path out = dir.resolve(APPLICATION + ".jar");
            dir.toFile().deleteOnExit();
            out.toFile().deleteOnExit(); // deleted before its directory: deleteOnExit runs in reverse order
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            try (OutputStream file = Files.newOutputStream(out);
                 JarOutputStream jarOut = new JarOutputStream(file, manifest)) {
                for (Path classFile : classFiles) {
                    jarOut.putNextEntry(new JarEntry(PACKAGE_PATH + "/" + classFile.getFileName()));
                    jarOut.write(Files.readAllBytes(classFile));
                    jarOut.closeEntry();
                }
                StringBuilder services = new StringBuilder();
                for (Class<?> f : functions) {
                    services.append(f.getName()).append('\n');
                }
                jarOut.putNextEntry(new JarEntry("META-INF/services/" + Function.class.getName()));
                jarOut.write(services.toString().getBytes(StandardCharsets.UTF_8));
                jarOut.closeEntry();
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the test application jar", e);
        }
    }

    /** The .class files of this package, found next to this class's own in test-classes. */
    private static List<Path> classFiles() {
        URL self = TestAppJar.class.getResource(TestAppJar.class.getSimpleName() + ".class");
        if (self == null || !"file".equals(self.getProtocol())) {
            throw new IllegalStateException("the test application's classes must be in a directory, not " + self);
        }
        try (Stream<Path> files = Files.list(Path.of(self.toURI()).getParent())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".class")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public, concrete Function classes among the class files. */
    private static List<Class<?>> functionClasses(List<Path> classFiles) {
        List<Class<?>> functions = new ArrayList<>();
        for (Path file : classFiles) {
            String simple = file.getFileName().toString().replaceFirst("\\.class$", "");
            try {
                Class<?> c = Class.forName(TestAppJar.class.getPackageName() + "." + simple, false,
                        TestAppJar.class.getClassLoader());
                if (Function.class.isAssignableFrom(c) && Modifier.isPublic(c.getModifiers())
                        && !Modifier.isAbstract(c.getModifiers()) && !c.isInterface()) {
                    functions.add(c);
                }
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("cannot load " + simple, e);
            }
        }
        if (functions.isEmpty()) {
            throw new IllegalStateException("no Function classes found in " + PACKAGE_PATH);
        }
        return functions;
    }
}
