package dev.omniscribe.models.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.omniscribe.models.Golden;
import dev.omniscribe.models.Npy;
import org.junit.jupiter.api.Test;

/** The Slaney mel filters against the feature extractor's own (golden mel_filters.npy). */
class MelFilterBankTest {

    @Test
    void equalsTheFeatureExtractorFilterBankWithin1e12() throws Exception {
        Npy want = Npy.read(Golden.file("mel_filters.npy")); // (201, 128) float64
        int bins = want.shape()[0];
        int mels = want.shape()[1];
        MelFilterBank bank = new MelFilterBank(bins, mels, 0, 8000, 16000);
        double[] power = new double[bins];
        double[] weights = new double[mels];
        for (int k = 0; k < bins; k++) {
            // power 1 in bin k alone: each filter's output is its weight for that bin
            java.util.Arrays.fill(power, 0);
            power[k] = 1;
            bank.apply(power, weights);
            for (int m = 0; m < mels; m++) {
                double w = want.data().getDouble((k * mels + m) * 8);
                assertThat(weights[m])
                        .as("bin %d mel %d", k, m)
                        .isCloseTo(w, org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }
}
