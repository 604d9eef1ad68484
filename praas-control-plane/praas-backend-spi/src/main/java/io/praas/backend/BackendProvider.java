package io.praas.backend;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Makes a {@link ProcessBackend} from its settings. A deployer module lists its provider in
 * {@code META-INF/services/io.praas.backend.BackendProvider}; the control plane finds it by name
 * ({@code praas up --backend fargate}) with {@link ServiceLoader}.
 *
 * <pre>{@code
 * public final class FargateProvider implements BackendProvider {
 *     public String name() { return "fargate"; }
 *     public ProcessBackend create(Map<String, String> settings) { return new FargateBackend(FargateSettings.from(settings)); }
 * }
 *
 * Map<String, String> settings = BackendProvider.settingsFromEnvironment("fargate", System.getenv());
 * ProcessBackend backend = BackendProvider.named("fargate").orElseThrow().create(settings);
 * }</pre>
 */
public interface BackendProvider {

    /** The backend's name, as given to {@code --backend} ({@code fargate}, {@code knative}). */
    String name();

    /**
     * Makes the backend.
     *
     * @param settings its settings by kebab-case key ({@code task-definition}); unknown keys are refused
     * @throws IllegalArgumentException for a missing, unknown or malformed setting, naming it
     */
    ProcessBackend create(Map<String, String> settings);

    /** The provider named {@code name} on this class path. */
    static Optional<BackendProvider> named(String name) {
        return ServiceLoader.load(BackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals(name))
                .findFirst();
    }

    /** The names of the providers on this class path, sorted. */
    static List<String> names() {
        return ServiceLoader.load(BackendProvider.class).stream()
                .map(p -> p.get().name())
                .sorted()
                .toList();
    }

    /**
     * The settings of backend {@code name} found in environment variables: {@code PRAAS_FARGATE_TASK_DEFINITION=x}
     * becomes {@code task-definition=x} for {@code fargate}.
     */
    static Map<String, String> settingsFromEnvironment(String name, Map<String, String> environment) {
        String prefix = "PRAAS_" + name.toUpperCase(Locale.ROOT).replace('-', '_') + "_";
        Map<String, String> settings = new TreeMap<>();
        environment.forEach((key, value) -> {
            if (key.startsWith(prefix) && key.length() > prefix.length()) {
                settings.put(key.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '-'), value);
            }
        });
        return settings;
    }
}
