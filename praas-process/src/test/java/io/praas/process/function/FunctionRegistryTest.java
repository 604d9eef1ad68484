package io.praas.process.function;

import io.praas.codec.Codecs;
import io.praas.function.Context;
import io.praas.function.Function;
import io.praas.function.FunctionName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FunctionRegistryTest {
    private static final String SERVICES = "META-INF/services/" + Function.class.getName();

    static final class WordCount implements Function<String, Integer> {
        @Override
        public Integer handle(String input, Context context) {
            return input.split("\\s+").length;
        }
    }

    @FunctionName("word-count")
    static final class NamedWordCount implements Function<String, Integer> {
        @Override
        public Integer handle(String input, Context context) {
            return 0;
        }
    }

    @FunctionName(" ")
    static final class BlankName implements Function<String, String> {
        @Override
        public String handle(String input, Context context) {
            return input;
        }
    }

    @TempDir
    Path dir;

    // ---- of

    @Test
    void aFunctionIsNamedForItsClassWithALowerCaseFirstLetter() {
        FunctionRegistry registry = of(new WordCount());

        assertThat(registry.names()).containsExactly("wordCount");
        assertThat(registry.get("wordCount").function()).isInstanceOf(WordCount.class);
    }

    @Test
    void functionNameOverridesTheClassName() {
        FunctionRegistry registry = of(new NamedWordCount());

        assertThat(registry.names()).containsExactly("word-count");
        assertThat(registry.get("namedWordCount")).isNull();
    }

    @Test
    void anUnknownNameIsNull() {
        assertThat(of(new WordCount()).get("nothing")).isNull();
    }

    @Test
    @SuppressWarnings("unchecked") // RegisteredFunction holds raw types
    void aRegisteredFunctionCarriesTheCodecsOfItsTypes() {
        RegisteredFunction fn = of(new WordCount()).get("wordCount");

        assertThat(fn.name()).isEqualTo("wordCount");
        assertThat(fn.inputCodec()).isSameAs(Codecs.utf8());
        assertThat(new String(fn.outputCodec().encode(3), StandardCharsets.UTF_8)).isEqualTo("3");
    }

    @Test
    void twoFunctionsWithOneNameAreRejected() {
        assertThatThrownBy(() -> of(new WordCount(), new WordCount()))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("wordCount");
    }

    @Test
    void anEmptyListIsRejected() {
        assertThatThrownBy(() -> FunctionRegistry.of(getClass().getClassLoader(), "test", List.of()))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("lists no function");
    }

    @Test
    void aBlankNameIsRejected() {
        assertThatThrownBy(() -> of(new BlankName()))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("empty name");
    }

    @Test
    void anAnonymousFunctionWithoutANameIsRejectedAsLoadingFailure() {
        Function<String, String> anonymous = new Function<>() {
            @Override
            public String handle(String input, Context context) {
                return input;
            }
        };

        // Its simple name is "", which the registry should refuse like any other empty name.
        assertThatThrownBy(() -> of(anonymous)).isInstanceOf(FunctionLoadingException.class);
    }

    @Test
    void theRegistryKeepsTheGivenClassLoader() {
        ClassLoader loader = getClass().getClassLoader();

        assertThat(FunctionRegistry.of(loader, "test", List.of(new WordCount())).classLoader()).isSameAs(loader);
    }

    // ---- load

    @Test
    void loadFindsTheFunctionsListedInTheJar() throws IOException {
        Path jar = writeJar("app.jar", Shout.class.getName() + "\n", Shout.class);

        FunctionRegistry registry = FunctionRegistry.load(jar);

        assertThat(registry.names()).containsExactly("shout");
        assertThat(registry.get("shout").function().getClass().getName()).isEqualTo(Shout.class.getName());
    }

    @Test
    @SuppressWarnings("unchecked") // RegisteredFunction holds raw types
    void aLoadedFunctionRuns() throws Exception {
        Path jar = writeJar("app.jar", Shout.class.getName() + "\n", Shout.class);

        RegisteredFunction shout = FunctionRegistry.load(jar).get("shout");

        Object out = shout.function().handle(shout.inputCodec().decode("hey".getBytes(StandardCharsets.UTF_8)), null);
        assertThat(out).isEqualTo("HEY!");
    }

    @Test
    void loadedClassesComeFromTheJarBeforeTheRuntimeClassPath() throws IOException {
        Path jar = writeJar("app.jar", Shout.class.getName() + "\n", Shout.class);

        FunctionRegistry registry = FunctionRegistry.load(jar);

        Class<?> loaded = registry.get("shout").function().getClass();
        assertThat(loaded).isNotSameAs(Shout.class);
        assertThat(loaded.getClassLoader()).isNotSameAs(getClass().getClassLoader());
        assertThat(loaded.getClassLoader()).isSameAs(registry.classLoader());
    }

    @Test
    void theSdkApiIsSharedWithTheRuntime() throws IOException {
        Path jar = writeJar("app.jar", Shout.class.getName() + "\n", Shout.class);

        Object shout = FunctionRegistry.load(jar).get("shout").function();

        assertThat(shout).isInstanceOf(Function.class);
    }

    @Test
    void commentsAndBlankLinesOfTheServicesFileAreIgnored() throws IOException {
        Path jar = writeJar("app.jar", "# the functions\n\n" + Shout.class.getName() + "  # loud\n", Shout.class);

        assertThat(FunctionRegistry.load(jar).names()).containsExactly("shout");
    }

    @Test
    void functionsListedOnlyOnTheRuntimeClassPathAreNotLoaded() throws IOException {
        Path appJar = writeJar("app.jar", Shout.class.getName() + "\n", Shout.class);
        Path runtimeJar = writeJar("runtime.jar", Whisper.class.getName() + "\n");
        try (URLClassLoader runtime = new URLClassLoader(new URL[] {runtimeJar.toUri().toURL()}, getClass().getClassLoader());
             ApplicationClassLoader app = new ApplicationClassLoader("praas-app", new URL[] {appJar.toUri().toURL()}, runtime)) {

            FunctionRegistry registry = FunctionRegistry.load(app, appJar.toString());

            assertThat(registry.names()).containsExactly("shout");
        }
    }

    @Test
    void aJarListingAMissingClassIsRejected() throws IOException {
        Path jar = writeJar("app.jar", "io.praas.process.function.NoSuchFunction\n", Shout.class);

        assertThatThrownBy(() -> FunctionRegistry.load(jar))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("NoSuchFunction");
    }

    @Test
    void aJarListingAClassThatIsNotAFunctionIsRejected() throws IOException {
        Path jar = writeJar("app.jar", NotAFunction.class.getName() + "\n", NotAFunction.class);

        assertThatThrownBy(() -> FunctionRegistry.load(jar)).isInstanceOf(FunctionLoadingException.class);
    }

    @Test
    void aJarListingNoFunctionIsRejected() throws IOException {
        Path jar = writeJar("app.jar", null, Shout.class);

        assertThatThrownBy(() -> FunctionRegistry.load(jar))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("lists no function");
    }

    @Test
    void aMissingJarIsRejected() {
        Path missing = dir.resolve("missing.jar");

        assertThatThrownBy(() -> FunctionRegistry.load(missing))
                .isInstanceOf(FunctionLoadingException.class)
                .hasMessageContaining("missing.jar");
    }

    @Test
    void aDirectoryInsteadOfAJarIsRejected() {
        assertThatThrownBy(() -> FunctionRegistry.load(dir)).isInstanceOf(FunctionLoadingException.class);
    }

    /** Listed as a function but is not one. */
    public static final class NotAFunction {
    }

    // ---- helpers

    private FunctionRegistry of(Function<?, ?>... functions) {
        return FunctionRegistry.of(getClass().getClassLoader(), "test", List.of(functions));
    }

    /** A jar with the compiled test classes and, unless null, a services file with {@code services}. */
    private Path writeJar(String name, String services, Class<?>... classes) throws IOException {
        Path jar = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            for (Class<?> c : classes) {
                String entry = c.getName().replace('.', '/') + ".class";
                out.putNextEntry(new JarEntry(entry));
                try (InputStream in = c.getClassLoader().getResourceAsStream(entry)) {
                    assertThat(in).as("compiled %s", entry).isNotNull();
                    in.transferTo(out);
                }
                out.closeEntry();
            }
            if (services != null) {
                out.putNextEntry(new JarEntry(SERVICES));
                out.write(services.getBytes(StandardCharsets.UTF_8));
                out.closeEntry();
            }
        }
        return jar;
    }
}
