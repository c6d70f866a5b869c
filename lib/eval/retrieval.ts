/**
 * Cross-modal retrieval (§6): image→text and text→image Recall@K from global
 * embeddings, by cosine similarity.
 *
 * Relevance (which candidates count as correct):
 *  - default: image i and text i are a pair, and only the pair is correct;
 *  - `reportTexts`: candidates whose report text is IDENTICAL (after trimming,
 *    collapsing whitespace, lower-casing) to the query's own report also count,
 *    because many studies share a verbatim report ("No acute cardiopulmonary
 *    process.") and the encoder cannot, and should not, tell them apart;
 *  - `groups`: any other grouping (image i is relevant to text j iff
 *    `groups.image[i] === groups.text[j]`).
 * Ties with irrelevant candidates count against the query (recall.ts).
 */
import { cosineSimilarity, matrix, type MatrixLike } from './matrix.ts';
import { recallAtK, sameGroup, sameIndex, textGroups, type Relevance, type RecallResult } from './recall.ts';

/** Settings of `retrieval`. */
export interface RetrievalConfig {
  /** K values reported (default [1, 5, 10]). */
  ks: number[];
  /** Length of the recall@k curve, k = 1..maxK (default: the largest K). */
  maxK?: number;
  /** Report text of each pair (`[N]`, image i ↔ text i): identical texts are all correct. */
  reportTexts?: readonly string[];
  /** Explicit groups: image i is relevant to text j iff `image[i] === text[j]`. */
  groups?: { image: ArrayLike<number>; text: ArrayLike<number> };
}

/** Both directions. */
export interface RetrievalResult {
  imageToText: RecallResult;
  textToImage: RecallResult;
  /** Images and texts in the gallery. */
  images: number;
  texts: number;
}

/**
 * Recall@K both ways from embeddings.
 * @param images `[N, D]` global image embeddings.
 * @param texts `[M, D]` global text embeddings (M = N unless `groups` is given).
 */
export function retrieval(images: MatrixLike, texts: MatrixLike, config: Partial<RetrievalConfig> = {}): RetrievalResult {
  const ks = config.ks ?? [1, 5, 10];
  const similarity = cosineSimilarity(images, texts); // [N, M]
  const n = similarity.rows;
  const m = similarity.cols;
  let imageToText: Relevance;
  let textToImage: Relevance;
  if (config.groups) {
    if (config.groups.image.length !== n || config.groups.text.length !== m) {
      throw new Error(`retrieval: groups have ${config.groups.image.length} images and ${config.groups.text.length} texts, embeddings ${n} and ${m}`);
    }
    imageToText = sameGroup(config.groups.image, config.groups.text);
    textToImage = sameGroup(config.groups.text, config.groups.image);
  } else {
    if (n !== m) throw new Error(`retrieval: ${n} images and ${m} texts need explicit groups to pair them`);
    if (config.reportTexts) {
      if (config.reportTexts.length !== n) throw new Error(`retrieval: ${config.reportTexts.length} report texts for ${n} pairs`);
      const groups = textGroups(config.reportTexts);
      imageToText = textToImage = sameGroup(groups, groups);
    } else {
      imageToText = textToImage = sameIndex;
    }
  }
  const transposed = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) transposed[j * n + i] = similarity.data[i * m + j]!;
  return {
    imageToText: recallAtK(similarity, ks, imageToText, config.maxK),
    textToImage: recallAtK(matrix(transposed, m, n), ks, textToImage, config.maxK),
    images: n,
    texts: m,
  };
}

