/* Random strings (a seeded mix of ASCII, Unicode whitespace, letters, marks, digits, emoji,
 * contractions and special-token texts), 12 per vocab, half with parse_special. The expected
 * ids are llama.cpp v0.5.0's (node-llama-cpp 3.22.1, model.tokenize(text, parse_special)):
 * 3000 such strings x 8 vocabs x both modes matched exactly; this sample is pinned here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gguf/gguf.h"
#include "testutil.h"
#include "tokenizer/tok.h"

typedef struct fuzz_case {
    const char *vocab;
    int parse_special;
    const char *text;
    int32_t ids[48];
    size_t n;
} fuzz_case;

static const fuzz_case CASES[] = {
    {"llama-spm", 0, "\xef\xb8\x8f" "9$\xe2\x80\xa6<0x0A>\xe2\x80\x8d\xc5\xbf\xc2\x85 \n\n\xe2\x85\xab't", {29871, 30598, 29929, 29938, 30098, 29966, 29900, 29916, 29900, 29909, 29958, 30722, 30473, 197, 136, 29871, 13, 13, 229, 136, 174, 29915, 29873}, 23},
    {"llama-spm", 1, "\xe6\x9c\xac<\xc5\xbf\xe0\xa4\xbf~#<-\xe2\x80\xa8 \xc3\xa9\xe2\x96\x81;(\xc2\xa9", {29871, 30346, 29966, 30473, 30436, 30022, 29937, 16406, 31353, 904, 2056, 29898, 30211}, 13},
    {"llama-spm", 0, "/'S\xc2\xa9+c  \xe0\xb8\xb1\xd9\xa1 \xc3\xa4\xc5\xbf.(\xc2\xbb<0x0A>\xe2\x80\x8d'Z'mY*", {847, 29915, 29903, 30211, 29974, 29883, 259, 30510, 220, 164, 7533, 30473, 14030, 30007, 29966, 29900, 29916, 29900, 29909, 29958, 30722, 29915, 29999, 29915, 29885, 29979, 29930}, 27},
    {"llama-spm", 1, "1234567\xe2\x80\xa8>\xc3\x9f\xc3\xa9're\n)'t\xc2\xa9\xe2\x80\xa8<|im_end|>\xf0\xab\x9c\xb9_", {29871, 29896, 29906, 29941, 29946, 29945, 29953, 29955, 31353, 29958, 30034, 29948, 29915, 276, 13, 16029, 29873, 30211, 31353, 29966, 29989, 326, 29918, 355, 29989, 29958, 243, 174, 159, 188, 29918}, 31},
    {"llama-spm", 0, "\"+\xe2\x80\xa8 ['s<|im_end|> \xe2\x80\x9d't<unk>\xe2\x80\x9d't<|endoftext|>", {15691, 31353, 6024, 29879, 29966, 29989, 326, 29918, 355, 29989, 29958, 26622, 29915, 29873, 29966, 2960, 29958, 30024, 29915, 29873, 29966, 29989, 355, 974, 726, 29989, 29958}, 27},
    {"llama-spm", 1, "<|endoftext|>\xd8\xa8", {529, 29989, 355, 974, 726, 29989, 29958, 30177}, 8},
    {"llama-spm", 0, "\xd8\xa7(\xe6\x97\xa5.\xc3\xb1(X\xe3\x82\xaf\?<|endoftext|>\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\xd8\xa7\?\xd9\x80\xe0\xa7\xa9@ {X", {29871, 30112, 29898, 30325, 29889, 30046, 29898, 29990, 30305, 29973, 29966, 29989, 355, 974, 726, 29989, 29958, 243, 162, 148, 144, 243, 162, 146, 192, 30112, 29973, 30400, 227, 170, 172, 29992, 426, 29990}, 34},
    {"llama-spm", 1, "\xcc\x88Y@'sZ+[<|im_end|>\xed\x95\x9c'\xcc\x81\xc4\xb0'm\xe1\x9a\x80%!^\xe2\x85\xab\\<", {29871, 31719, 29979, 29992, 29915, 29879, 29999, 29974, 29961, 29966, 29989, 326, 29918, 355, 29989, 29958, 30877, 29915, 30103, 30243, 29915, 29885, 228, 157, 131, 29995, 29991, 29985, 229, 136, 174, 4488}, 32},
    {"llama-spm", 0, "\xcc\x88\xf0\xab\x9c\xb9\xc2\x85<0x0A>+<0x0A>'ll\"\xe2\x80\x94" "9\n\xe2\x80\x8d" "9!:\xe3\x80\x80\xe3\x80\x80\xc3\xb1\xc2\xb2:]\xe2\x96\x81", {29871, 31719, 243, 174, 159, 188, 197, 136, 29966, 29900, 29916, 29900, 29909, 29958, 29974, 29966, 29900, 29916, 29900, 29909, 16299, 645, 29908, 30003, 29929, 13, 30722, 29929, 29991, 29901, 30358, 30358, 30046, 30088, 17531, 29871}, 36},
    {"llama-spm", 1, "\?\xd8\xa7\xe2\x80\x8d\n\xe0\xb8\x81\xe0\xb8\x81\xc2\xbbWorld\xed\x95\x9c~\xf0\x9f\x98\x80 World\xd8\xa8\r\xe0\xa4\xbf 'd", {1577, 30112, 30722, 13, 30425, 30425, 30007, 14058, 30877, 30022, 243, 162, 155, 131, 2787, 30177, 30004, 30436, 525, 29881}, 20},
    {"llama-spm", 0, "\xc3\x9f\xf0\x91\x88\xbfWorld've\r\n\xc3\xa4]\xcc\x88<s>,\xe6\x97\xa5 /\\$b9<\xe1\x9a\x80\n", {29871, 30034, 243, 148, 139, 194, 14058, 29915, 345, 30004, 13, 29986, 29962, 31719, 29966, 29879, 10202, 30325, 18826, 29938, 29890, 29929, 29966, 228, 157, 131, 13}, 27},
    {"llama-spm", 1, "\xe2\x80\x98\n \xe2\x80\x98" "0b\xe1\x9a\x80|'S&>\xd9\xa1\xe3\x80\x80\xc4\xb0>", {5129, 13, 5129, 29900, 29890, 228, 157, 131, 29989, 29915, 29903, 29987, 29958, 220, 164, 30358, 30243, 29958}, 18},
    {"phi-3", 0, "*\xd8\xa7\xc2\xbd\xe3\x82\xaf\xf0\x91\x88\xbf\xc2\x85Z b\xc3\xa4\xe1\x9a\x80\xe3\x80\x80\xe2\x80\x8d'd\xe6\x96\x87\xd9\x80\xd9\xa1\xc3\xa4!", {334, 30112, 30226, 30305, 243, 148, 139, 194, 197, 136, 29999, 289, 29986, 228, 157, 131, 30358, 30722, 29915, 29881, 30333, 30400, 220, 164, 29986, 29991}, 26},
    {"phi-3", 1, ")\xe0\xa7\xa9''S\n\n\xe3\x80\x80't\xe4\xb8\xad" "1234567<|im_end|>\xd8\xa8_\xe2\x80\x94<0x0A>", {1723, 227, 170, 172, 4907, 29903, 13, 13, 30358, 29915, 29873, 30275, 29896, 29906, 29941, 29946, 29945, 29953, 29955, 29966, 29989, 326, 29918, 355, 29989, 29958, 30177, 29918, 30003, 29966, 29900, 29916, 29900, 29909, 29958}, 35},
    {"phi-3", 0, "\xd9\x80\xe2\x80\x98%\xc3\xa4:\xf0\x9f\xa6\x99\xe2\x84\xa2\n<unk>\xc2\xadX;</s>\xd8\xa7<|im_end|>(\xf0\xab\x9c\xb9\xd8\xa7's\xe2\x80\x98\xe6\x97\xa5", {29871, 30400, 30086, 29995, 29986, 29901, 243, 162, 169, 156, 30536, 13, 29966, 2960, 29958, 30191, 29990, 14814, 29879, 29958, 30112, 29966, 29989, 326, 29918, 355, 29989, 5961, 243, 174, 159, 188, 30112, 29915, 29879, 30086, 30325}, 37},
    {"phi-3", 1, "\xf0\x9f\xa6\x99\xe2\x80\x8d\xd9\xa1<0x0A>|#!\xe6\x97\xa5<hello\r\xe2\x80\x99\n", {29871, 243, 162, 169, 156, 30722, 220, 164, 29966, 29900, 29916, 29900, 29909, 29958, 29989, 29937, 29991, 30325, 29966, 12199, 30004, 30010, 13}, 23},
    {"phi-3", 0, "\xc4\x85\xe2\x80\x8d\"", {29871, 30025, 30722, 29908}, 4},
    {"phi-3", 1, "<|im_end|>\xe1\x9a\x80\xd8\xa7Z<s>\xf0\x9f\xa6\x99\xe1\x9a\x80%\xe2\x80\x99", {529, 29989, 326, 29918, 355, 29989, 29958, 228, 157, 131, 30112, 29999, 1, 29871, 243, 162, 169, 156, 228, 157, 131, 29995, 30010}, 23},
    {"phi-3", 0, "'m\xc4\xb0\xef\xb8\x8f\xc2\xbb", {525, 29885, 30243, 30598, 30007}, 5},
    {"phi-3", 1, "\xe2\x96\x81+{", {29871, 718, 29912}, 3},
    {"phi-3", 0, "\xe0\xb8\xb1\xc4\xb0\xc2\xab\xc2\xa9\xc3\xb1\xd8\xa8\xc3\x9f", {29871, 30510, 30243, 30009, 30211, 30046, 30177, 30034}, 8},
    {"phi-3", 1, "'<0x0A>'t\xe2\x96\x81've=<s>\xe1\x9a\x80'll\xe0\xa4\xbf ", {12801, 29900, 29916, 29900, 29909, 16299, 29873, 525, 345, 29922, 1, 29871, 228, 157, 131, 29915, 645, 30436, 29871}, 19},
    {"phi-3", 0, "%<\xed\x95\x9c'll\t9\t \xe2\x80\x9c\xc2\xa9<|endoftext|>Z\xf0\x91\x88\xbf\xed\x95\x9c\xc2\xab\xc3\x9f)\xe2\x80\x94" "a", {1273, 29966, 30877, 29915, 645, 12, 29929, 12, 1346, 30211, 29966, 29989, 355, 974, 726, 29989, 29958, 29999, 243, 148, 139, 194, 30877, 30009, 30034, 29897, 30003, 29874}, 28},
    {"phi-3", 1, "\xe2\x80\x94'S\xc2\xbb\?\xc2\xab\xe2\x80\xa6't", {813, 29915, 29903, 30007, 29973, 30009, 30098, 29915, 29873}, 9},
    {"llama-bpe", 0, "  `\xed\x95\x9c/", {220, 1595, 24486, 14}, 4},
    {"llama-bpe", 1, "'re't#World\xe6\x96\x87<|im_end|>\xf0\x9f\xa6\x99\xc2\xad<0x0A>", {2351, 956, 2, 10343, 17161, 27, 91, 318, 6345, 91, 29, 9468, 99, 247, 5879, 27, 15, 87, 15, 32, 29}, 21},
    {"llama-bpe", 0, "\xe2\x84\xa2\xc3\x9f-\xe2\x80\x99" "1]\xd8\xa7\xe2\x96\x81" "0\xf0\x9f\x98\x80", {16500, 8156, 12, 529, 16, 60, 5821, 10634, 223, 15, 76460, 222}, 12},
    {"llama-bpe", 1, "\n\n\xd9\xa2\xe2\x80\x94_\xd8\xa8_\xe2\x80\x9c\xe2\x80\x9c\xe6\x9c\xac\xd8\xa8" "a\n\xe2\x80\xa6" "3.14\xe1\x9a\x80\xe4\xb8\xad\xe2\x85\xab" "3.14'd", {271, 110546, 2345, 62, 22071, 62, 2118, 2118, 22656, 22071, 64, 198, 1981, 18, 13, 975, 157, 248, 222, 16325, 71567, 104, 18, 13, 975, 4265}, 26},
    {"llama-bpe", 0, "`", {63}, 1},
    {"llama-bpe", 1, ".\xe2\x80\x8d\xc4\xb0!/9", {13, 102470, 48880, 89080, 24}, 5},
    {"llama-bpe", 0, "~\xf0\x91\xbd\x90\xc2\xad" "b've\xe6\x96\x87\\Y\xc2\x85\xcc\x81+\xc2\xbd\xed\x95\x9c\xc2\xab\xd9\x80", {93, 172, 239, 121, 238, 5879, 65, 3077, 17161, 59, 56, 116360, 54939, 10, 27154, 24486, 24633, 100441}, 18},
    {"llama-bpe", 1, "!^1Y;\xd9\xa1<0x0A>\xe2\x80\x9d_(\xc3\xb1\xe3\x80\x80're\xe2\x80\x8d\xe2\x80\x94\xd9\xa2}\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd" "0", {0, 61, 16, 56, 26, 109610, 27, 15, 87, 15, 32, 29, 863, 8526, 5771, 23249, 2351, 102470, 2345, 110546, 92, 9468, 239, 235, 9468, 237, 121, 15}, 28},
    {"llama-bpe", 0, "\xe1\x9a\x80,", {157, 248, 222, 11}, 4},
    {"llama-bpe", 1, "\xc3\xa4\xf0\x91\xbd\x90  \xe0\xb8\x81{ ~\xe0\xa7\xa9`~<0x0A>:\xe6\x97\xa5\xe6\x97\xa5" "1<unk>", {2357, 172, 239, 121, 238, 220, 100760, 90, 4056, 28025, 102, 63, 93, 27, 15, 87, 15, 32, 27916, 9080, 9080, 16, 27, 3200, 29}, 25},
    {"llama-bpe", 0, "\xef\xb8\x8f\xc5\xbf(\xe2\x80\x9d\xe0\xa7\xa9'd/]\xe2\x80\x8d\xc4\x85(0\xc2\xa9\xc3\xa4>$:", {31643, 129, 123, 7, 863, 28025, 102, 4265, 75077, 102470, 5985, 7, 15, 20644, 2357, 24502, 25}, 17},
    {"llama-bpe", 1, "\xe0\xa4\x95", {65804}, 1},
    {"qwen2", 0, "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd\xe2\x80\x94\n\n\xe2\x82\xac_\xe4\xb8\xad\xcc\x81hellob<0x0A>1~<unk>", {144349, 145375, 28372, 15056, 62, 15946, 53839, 49122, 1684, 27, 15, 87, 15, 32, 29, 16, 93, 27, 3122, 29}, 20},
    {"qwen2", 1, "'llhello/\xd8\xa7\xcc\x81 're'd\xc2\xa0</s>*_\xe2\x84\xa2;\r\n\xf0\xab\x9c\xb9\xf0\x91\x88\xbf\xc5\xbf$'ll\n\n ", {3278, 14990, 14, 5703, 53839, 364, 265, 4172, 4102, 128247, 55904, 16109, 463, 99181, 250, 117, 128240, 230, 123, 144815, 3, 6, 654, 271, 220}, 25},
    {"qwen2", 0, "$'d>X\xe2\x80\xa6$  a\xe2\x80\x9d", {3, 6, 67, 76329, 1940, 3, 220, 264, 854}, 9},
    {"qwen2", 1, "'S\xed\x95\x9c\xf0\x9f\x98\x80\xe2\x80\x8b\xc3\xb1" "1234567c_'t:\xe0\xa4\x95\xe2\x80\x9c\xe6\x9c\xac\xe0\xb8\x81\xe2\x84\xa2\xe2\x96\x81]'ll", {13272, 23573, 141334, 15692, 5653, 16, 17, 18, 19, 20, 21, 22, 66, 19333, 83, 25, 64704, 2073, 21894, 25200, 16109, 10417, 223, 30651, 654}, 25},
    {"qwen2", 0, " <0x0A>\?'re", {366, 15, 87, 15, 32, 29, 20224, 265}, 8},
    {"qwen2", 1, "'S\r\n>\xe4\xb8\xad;K;'ll\xc2\xab<|im_end|>\xc2\xa0\xe2\x80\x94<|endoftext|>*'ve1234567<|endoftext|>\xe0\xa4\x95\xc2\xa0<\xe2\x80\x8d  ", {13272, 319, 29, 15946, 26, 42, 35994, 654, 23703, 151645, 4102, 2293, 151643, 91252, 586, 16, 17, 18, 19, 20, 21, 22, 151643, 64704, 4102, 27, 378, 235, 256}, 29},
    {"qwen2", 0, "World; 'LL\xf0\x9f\xa6\x99 ;\xe0\xb8\xb1\xc4\x85~;", {10134, 26, 364, 4086, 149955, 2587, 23271, 5861, 93, 26}, 10},
    {"qwen2", 1, "\xc2\xa9\xc3\xa9\r\n|\xd8\xa8\xc2\xa9\xef\xb8\x8f're1234567b<unk>=\xf0\xab\x9c\xb9:\r\xe0\xb8\x81" "1234567\xf0\x9f\x98\x80\xe0\xa4\xbf\xe0\xb8\x81]", {20043, 963, 319, 91, 21360, 20043, 30543, 6, 265, 16, 17, 18, 19, 20, 21, 22, 65, 128243, 9922, 99181, 250, 117, 25, 201, 25200, 16, 17, 18, 19, 20, 21, 22, 141334, 38851, 25200, 60}, 36},
    {"qwen2", 0, "!(!Z\xed\x95\x9c\xe2\x80\xa6\xc4\xb0", {0, 3471, 57, 23573, 1940, 47780}, 6},
    {"qwen2", 1, "\xe6\x96\x87\xe4\xb8\xad\xc2\x85\xc2\xb2\xe0\xa4\x95" "1\xc2\xbd\xed\x95\x9c\xd9\xa2\xc2\xad#\xe3\x82\xafK</s>\xe0\xa4\x95>\xe2\x80\x98\xef\xb8\x8f</s>K\xe3\x82\xaf't", {110590, 126, 227, 29456, 64704, 16, 26062, 23573, 149, 95, 5760, 2, 28120, 42, 128247, 64704, 29, 14009, 30543, 128247, 42, 28120, 944}, 23},
    {"qwen2", 0, "@World\xc2\xab\xe2\x80\x8b\xc2\xbd're\xd8\xa8\r\n\xe4\xb8\xad\xe2\x80\x99\xe6\x97\xa5\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", {31, 10134, 23703, 15692, 26062, 2299, 21360, 319, 15946, 527, 8903, 144349, 145375}, 13},
    {"qwen2", 1, "):\xc2\xa0\n\n\xef\xb8\x8f chello_\n\xe2\x80\x98 ", {1648, 4102, 271, 30543, 521, 4791, 12924, 14009, 220}, 9},
    {"qwen35", 0, "1234567\r're're\r\xed\x95\x9c" "c:</s>\rK\xc3\x9f'm1234567\xe2\x85\xab=\xc3\xa9\xe2\x80\xa6%%\xe2\x80\x8d\xd9\x80\xe2\x80\x8dZ", {16, 17, 18, 19, 20, 21, 22, 201, 2299, 2299, 201, 23573, 66, 7764, 82, 29, 201, 42, 7997, 2776, 16, 17, 18, 19, 20, 21, 22, 70467, 104, 28, 963, 1940, 2769, 378, 235, 124074, 378, 235, 57}, 39},
    {"qwen35", 1, "\xe2\x80\x8d</s>\n\n", {378, 235, 128247, 271}, 4},
    {"qwen35", 0, "\xd8\xa7\xc5\xbf<0x0A>\xe2\x84\xa2've'll*", {5703, 144815, 27, 15, 87, 15, 32, 29, 16109, 6, 586, 3278, 9}, 13},
    {"qwen35", 1, "\\<|endoftext|>", {59, 151643}, 2},
    {"qwen35", 0, "\xe6\x97\xa5\xef\xbf\xbd%+\xc3\xa4'S\xe2\x80\x94\xc2\x85\xf0\x91\x88\xbf~\xe2\x80\x8b ", {8903, 5691, 4, 10, 2305, 13272, 2293, 126, 227, 128240, 230, 123, 93, 15692, 220}, 15},
    {"qwen35", 1, "\xd9\x80\xc3\xa9  \xf0\x9f\xa6\x99\xe0\xa7\xa9" "c*\xc2\xa9\xe0\xa4\xbf'LL<0x0A>\?\xc2\xa9<|im_end|>", {124074, 963, 220, 11162, 99, 247, 26927, 102, 66, 9, 20043, 38851, 6, 4086, 27, 15, 87, 15, 32, 47585, 20043, 151645}, 22},
    {"qwen35", 0, "\xc4\x85\n<0x0A>9\"<s>}\xc2\xb2", {5861, 198, 27, 15, 87, 15, 32, 29, 24, 22476, 82, 52038, 29456}, 13},
    {"qwen35", 1, "\xe1\x9a\x80\xe0\xb8\x81\xc3\xb1'm", {124999, 222, 25200, 5653, 2776}, 5},
    {"qwen35", 0, "\xe2\x80\x98.\xe2\x96\x81$\xc2\xa9", {14009, 13, 10417, 223, 3, 20043}, 6},
    {"qwen35", 1, "'LL\xe0\xb8\xb1\xe3\x80\x80['d\xd9\xa1", {6, 4086, 23271, 22441, 677, 67, 149, 94}, 8},
    {"qwen35", 0, "/`\xe2\x80\x8b\xe2\x80\xa8\xef\xb8\x8f>].\xc2\xbb\xe3\x80\x80\xe3\x80\x80\xc3\x9fK\\(\\.,<|im_end|>#\xd8\xa8", {14, 63, 15692, 378, 101, 30543, 29, 936, 12992, 22441, 22441, 7997, 42, 59, 11520, 2572, 27, 91, 318, 6213, 91, 61125, 21360}, 23},
    {"qwen35", 1, ";\xf0\x91\x88\xbf\xe2\x80\x99\xc3\xb1" "3.143.14", {26, 128240, 230, 123, 527, 5653, 18, 13, 16, 19, 18, 13, 16, 19}, 14},
    {"gpt-2", 0, " \n\xc3\xb1\xe3\x82\xaf\xef\xbf\xbd\t\xe6\x97\xa5", {220, 198, 12654, 14099, 4210, 197, 33768, 98}, 8},
    {"gpt-2", 1, "\xcc\x81\n\nc\xc4\xb0\xc2\xab\xe0\xa4\x95*..}", {136, 223, 198, 198, 66, 128, 108, 24328, 11976, 243, 9, 492, 92}, 13},
    {"gpt-2", 0, "< \xc3\x9f\xed\x95\x9c\xe6\x96\x87\xe6\x9c\xac\xc3\x9f'LL^\xe2\x80\x9c/}<unk>", {27, 6184, 253, 47991, 250, 23877, 229, 17312, 105, 39683, 6, 3069, 61, 447, 250, 14, 92, 27, 2954, 29}, 20},
    {"gpt-2", 1, "_", {62}, 1},
    {"gpt-2", 0, "\xe0\xa7\xa9''s\xe1\x9a\x80'LL}\xe2\x96\x81\n\n9\xe0\xa4\x95\xef\xbf\xbd<0x0A>\xe4\xb8\xad\xef\xbf\xbd\xe2\x84\xa2\xe0\xa4\xbf" "0'LL\xc2\xbd", {156, 100, 102, 7061, 82, 157, 248, 222, 6, 3069, 92, 5008, 223, 198, 198, 24, 11976, 243, 4210, 27, 15, 87, 15, 32, 29, 40792, 4210, 8151, 11976, 123, 15, 6, 3069, 23141}, 34},
    {"gpt-2", 1, "'m\xcc\x81\xe2\x80\x8dZ\xd8\xa8@\xe4\xb8\xad\xc3\xa4\xc2\xbd\xed\x95\x9c\xe6\x9c\xac:~\xe2\x80\x9d", {1101, 136, 223, 447, 235, 57, 39848, 31, 40792, 11033, 23141, 47991, 250, 17312, 105, 25, 93, 447, 251}, 19},
    {"gpt-2", 0, "'s\xcc\x81-`\xe3\x80\x80]~\t\xc4\xb0\xe0\xb8\xb1\xcc\x88\"\xcc\x88\xe2\x85\xab\xf0\x91\x88\xbf</s>\\\xe0\xb8\x81*\xe2\x80\x9c\xe6\x96\x87\xe3\x82\xaf\xe2\x80\x98", {338, 136, 223, 12, 63, 5099, 222, 60, 93, 197, 128, 108, 19567, 109, 136, 230, 1, 136, 230, 158, 227, 104, 172, 239, 230, 123, 3556, 82, 29, 59, 19567, 223, 9, 447, 250, 23877, 229, 14099, 447, 246}, 40},
    {"gpt-2", 1, "\xe3\x80\x80`\\\xc3\xb1\xe6\x96\x87\xe0\xa4\xbf'd\xcc\x88\xf0\x9f\xa6\x99\r\n<unk><|endoftext|>\xc3\xa9\xe6\x9c\xac^\xc3\xb1<|endoftext|>\xc2\x85\xef\xb8\x8f\xe3\x82\xaf" "c", {5099, 222, 63, 59, 12654, 23877, 229, 11976, 123, 6, 67, 136, 230, 8582, 99, 247, 201, 198, 27, 2954, 29, 50256, 2634, 17312, 105, 61, 12654, 50256, 126, 227, 37929, 14099, 66}, 33},
    {"gpt-2", 0, "\xe2\x80\x99\xe3\x80\x80\xe2\x80\x94\xe3\x82\xaf'd\xe2\x80\x94\xe0\xa4\xbf\xe0\xb8\x81\xe6\x9c\xac\xe6\x96\x87\r\n\xcc\x88;\xe1\x9a\x80\\\xe6\x96\x87&\\", {447, 247, 5099, 222, 960, 14099, 1549, 960, 11976, 123, 19567, 223, 17312, 105, 23877, 229, 201, 198, 136, 230, 26, 157, 248, 222, 59, 23877, 229, 5, 59}, 29},
    {"gpt-2", 1, "'ll\xe6\x9c\xac" "c't:~\xe2\x80\xa6<0x0A>('ll'll\xc3\xb1\r\n\xe2\x96\x81\xe0\xa4\xbf\"\xe0\xa4\x95\xe0\xa4\xbf" "0\xf0\x91\xbd\x90\xe2\x80\x99\xe6\x96\x87=", {1183, 17312, 105, 66, 470, 25, 93, 1399, 27, 15, 87, 15, 32, 29, 10786, 297, 1183, 12654, 201, 198, 5008, 223, 11976, 123, 1, 11976, 243, 11976, 123, 15, 172, 239, 121, 238, 447, 247, 23877, 229, 28}, 39},
    {"gpt-2", 0, "\xc2\x85\xe6\x97\xa5" "9K-\xe2\x80\x98't<|endoftext|>hello\xd9\xa1.\xe0\xa4\xbf\xed\x95\x9c\xe1\x9a\x80<\xd9\xa1\xf0\x91\xbd\x90\xef\xb8\x8f's3.14\xc3\xb1}X", {126, 227, 33768, 98, 24, 42, 12, 447, 246, 6, 83, 27, 91, 437, 1659, 5239, 91, 29, 31373, 149, 94, 13, 11976, 123, 47991, 250, 157, 248, 222, 27, 149, 94, 172, 239, 121, 238, 37929, 6, 82, 18, 13, 1415, 12654, 92, 55}, 45},
    {"gpt-2", 1, ",X'LL1World\xed\x95\x9c\xc2\xa0\xc2\xad<unk>  \xcc\x81<'ve\xe0\xb8\xb1\xc4\x85\xe2\x80\xa6  \r!%\xe2\x80\x8d\xe2\x84\xa2\xe2\x85\xab,", {11, 55, 6, 3069, 16, 10603, 47991, 250, 1849, 3907, 27, 2954, 29, 220, 220, 136, 223, 27, 6, 303, 19567, 109, 128, 227, 1399, 220, 220, 201, 0, 4, 447, 235, 8151, 158, 227, 104, 11}, 37},
    {"starcoder", 0, "\xf0\x9f\xa6\x99\xc3\xa4\xe2\x80\x99\xe3\x80\x80\"\xe6\x97\xa5" "a1>\xe2\x80\x9d\xe3\x82\xaf\xe2\x80\x98\n\n,(", {3822, 137, 271, 2492, 2754, 5059, 39, 6640, 102, 54, 67, 4842, 5789, 33647, 222, 222, 12804}, 17},
    {"starcoder", 1, "\xc2\xab^ \xef\xbf\xbd", {162, 142, 99, 39259}, 4},
    {"starcoder", 0, "<unk>#\xc2\xad*'LL<unk>\xe2\x82\xac+\xd9\x80@\xcc\x88\xe4\xb8\xad\xe0\xa4\x95've~'LL\xd9\xa1" "c <|im_end|>!\xc4\xb0[", {65, 2156, 14821, 162, 279, 37817, 3218, 65, 2156, 67, 194, 7185, 48, 185, 246, 69, 32599, 3011, 43295, 4783, 131, 44, 3218, 185, 132, 104, 39647, 468, 100, 435, 28339, 38, 36565, 96}, 34},
    {"starcoder", 1, "<*(Z[_'ll\xc5\xbf;)'s\xc2\xa9\xe6\x97\xa5{'dWorld\xe2\x80\xa6*]\xf0\x91\x88\xbf" "1234567't=", {65, 8170, 95, 11367, 44, 629, 13430, 64, 9939, 120, 162, 140, 6640, 12164, 105, 6719, 10438, 47, 98, 208, 263, 254, 161, 54, 55, 56, 57, 58, 59, 60, 1348, 66}, 32},
    {"starcoder", 0, "'LL'\xe2\x80\x8d''ll\xd9\xa2", {44, 3218, 44, 46030, 2723, 629, 185, 133}, 8},
    {"starcoder", 1, "\xc3\x9f\xe2\x80\xa6", {15808, 10438}, 2},
    {"starcoder", 0, "'\xef\xb8\x8f" "a  ", {44, 13878, 102, 280}, 4},
    {"starcoder", 1, "\xd9\x80)\r", {185, 246, 46, 225}, 4},
    {"starcoder", 0, "\xe2\x82\xac\xc2\xbd<0x0A>+\xe0\xa4\x95\xe2\x80\x8b\xc2\x85\?;:a\xc2\xab", {194, 7185, 162, 159, 65, 53, 125, 53, 70, 67, 48, 43295, 26922, 162, 251, 12367, 63, 102, 162, 142}, 20},
    {"starcoder", 1, " \xd9\x80XY\xc2\xab\xc4\xb0<s>'S\xc2\xab;_'S\\Z<unk>`'d\xf0\x9f\xa6\x99\xe6\x97\xa5\xe2\x80\xa6 \xef\xbf\xbd\xc3\x9f\xe6\x96\x87", {244, 185, 246, 8094, 162, 142, 36565, 65, 120, 6466, 88, 162, 142, 64, 16448, 88, 97, 95, 65, 2156, 5868, 44, 105, 3822, 137, 271, 6640, 10438, 39259, 15808, 3820}, 31},
    {"starcoder", 0, "\rWorld\xe2\x80\x8d\n", {225, 6719, 46030, 222}, 4},
    {"starcoder", 1, "\xd8\xa7]\xcc\x88", {3595, 98, 32599}, 3},
    {"falcon", 0, "'ve  \xe2\x80\x99 cX\xcc\x88\xe3\x80\x80 \xe3\x82\xaf", {18, 298, 258, 329, 253, 67, 146, 214, 1008, 206, 204, 56812}, 12},
    {"falcon", 1, "Y<s>\xe3\x82\xaf\xed\x95\x9c\xc3\x9f}\xe2\x80\x8d}b\xc2\xadY-\xc4\xb0<0x0A>/\xc4\x85 ^", {68, 39, 94, 41, 56812, 179, 227, 234, 3776, 104, 283, 219, 104, 77, 136, 239, 68, 24, 138, 120, 39, 27, 99, 27, 44, 57390, 1916, 204, 73}, 29},
    {"falcon", 0, "#\n\n^b</s>Z\xe0\xa4\x95\xe2\x80\x99\xe2\x80\x8d\xef\xb8\x8f-3.14X\xe2\x80\xa6\xe2\x80\x99\xc3\xa4\xc2\xa0\xc3\xa4'sX1234567", {14, 1001, 73, 77, 1686, 94, 41, 69, 10735, 227, 329, 283, 219, 13392, 24, 30, 25, 1279, 67, 898, 329, 1066, 4381, 1066, 18, 94, 67, 10963, 27681, 34}, 30},
    {"falcon", 1, "\xcc\x88\xe0\xb8\x81\xe2\x80\x9c", {146, 214, 6965, 207, 488}, 5},
    {"falcon", 0, "\xc4\x85\xc2\xab\xc4\xb0   \xe2\x80\x8d:\xc3\xa9\n\n\n<s>\xc3\xa4\xe6\x97\xa5", {1916, 2577, 138, 120, 258, 204, 283, 219, 37, 465, 11331, 39, 94, 41, 1066, 8463}, 16},
    {"falcon", 1, "+\xc2\xab\xd9\x80+\xed\x95\x9c@World", {22, 2577, 159, 206, 22, 179, 227, 234, 43, 12670}, 10},
    {"falcon", 0, "\xc2\xb2'd~ \xc2\xa9,0\xd8\xa7@0<s><\xe2\x80\x8d \n\n 'll\xe2\x85\xab", {136, 122, 18, 79, 105, 13356, 23, 27, 15040, 43, 27, 39, 94, 4836, 283, 219, 204, 4824, 18, 567, 63488, 116}, 22},
    {"falcon", 1, "1234567-\xe2\x96\x81|\xe2\x80\x9d\xe2\x82\xac", {10963, 27681, 34, 24, 13856, 207, 103, 486, 6175}, 9},
    {"falcon", 0, "<\xe1\x9a\x80;}'ll<|endoftext|>\?\xc3\xa4\xe0\xa4\xbf\xe4\xb8\xad", {39, 167, 232, 206, 37627, 18, 567, 39, 103, 415, 1487, 2164, 54146, 42, 1066, 10735, 135, 4344}, 18},
    {"falcon", 1, "\xe2\x84\xa2\xe0\xa4\x95\xd9\x80" "0\xe2\x85\xab\xe2\x80\xa8;\xf0\x91\xbd\x90\xe1\x9a\x80\t^\xd8\xa7,\xef\xbf\xbd\xc2\xbb", {6719, 10735, 227, 159, 206, 27, 63488, 116, 283, 113, 38, 182, 223, 133, 222, 167, 232, 206, 192, 73, 15040, 23, 13112, 133, 2118}, 25},
    {"falcon", 0, " <s><|im_end|>#<|im_end|>", {204, 39, 94, 4836, 103, 306, 74, 415, 54146, 14, 39, 103, 306, 74, 415, 54146}, 16},
    {"falcon", 1, "\xcc\x88.\xe2\x80\x94\xc5\xbf\n\n'S\xe2\x80\x98\xe2\x80\xa6<s>X.<0x0A>", {146, 214, 21590, 139, 135, 1001, 18, 62, 1271, 898, 39, 94, 41, 67, 8275, 27, 99, 27, 44, 41}, 20},
    /* falcon's punctuation run includes the backtick (these failed without it) */
    {"falcon", 0, "\xe2\x80\xa8 \?1/  `  <|endoftext|>'S\xef\xb8\x8f", {283, 113, 204, 42, 28, 26, 258, 75, 258, 39, 103, 415, 1487, 2164, 103, 48464, 62, 13392}, 18},
    {"falcon", 0, "  `\xed\x95\x9c/", {258, 75, 179, 227, 234, 26}, 6},
    {"falcon", 0, "  `\xc5\xbf \"'S<|endoftext|>|\xc4\x85\xe0\xb8\x81\xe2\x80\x9d", {258, 75, 139, 135, 204, 24986, 62, 39, 103, 415, 1487, 2164, 54146, 103, 1916, 6965, 207, 486}, 18},
    {"falcon", 1, "\xe2\x80\xa8 \?1/  `  <|endoftext|>'S\xef\xb8\x8f", {283, 113, 204, 42, 28, 26, 258, 75, 258, 11, 18, 62, 13392}, 13},
    {"falcon", 1, "  `\xed\x95\x9c/", {258, 75, 179, 227, 234, 26}, 6},
    {"falcon", 1, "  `\xc5\xbf \"'S<|endoftext|>|\xc4\x85\xe0\xb8\x81\xe2\x80\x9d", {258, 75, 139, 135, 204, 24986, 62, 11, 103, 1916, 6965, 207, 486}, 13},
};

static void random_strings_encode_like_llama_cpp(void **state) {
    (void)state;
    const char *open_name = NULL;
    gguf_file *f = NULL;
    tok_vocab *v = NULL;
    int bad = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const fuzz_case *c = &CASES[i];
        if (!open_name || strcmp(open_name, c->vocab) != 0) {
            tok_free(v);
            gguf_close(f);
            char rel[256];
            snprintf(rel, sizeof rel, "models/gguf-vocab/ggml-vocab-%s.gguf", c->vocab);
            hf_err err = {0};
            assert_int_equal(gguf_open(&f, tu_shared(rel), &err), HF_OK);
            assert_int_equal(tok_load(&v, f, &err), HF_OK);
            open_name = c->vocab;
        }
        int32_t *ids;
        size_t n;
        hf_err err = {0};
        assert_int_equal(tok_encode(v, c->text, strlen(c->text), 0, c->parse_special, &ids, &n, &err), HF_OK);
        if (n != c->n || (n && memcmp(ids, c->ids, n * sizeof(int32_t)) != 0)) {
            fprintf(stderr, "%s case %zu (parse_special=%d) differs\n", c->vocab, i, c->parse_special);
            bad++;
        }
        free(ids);
    }
    tok_free(v);
    gguf_close(f);
    assert_int_equal(bad, 0);
}

/* Decoding: llama.cpp's detokenize(tokenize(text, true), unparse_special=true) for random
 * strings full of special-token texts and whitespace (2000 strings x 8 vocabs matched, both
 * unparse modes); a sample, mostly strings that do not come back unchanged. */
typedef struct decode_case {
    const char *vocab, *text, *decoded;
} decode_case;

static const decode_case DECODE_CASES[] = {
    {"llama-spm", "'LL  12345 <|user|> <s> \xf0\x9f\x98\x80,0</s>b\xe3\x80\x80  \xc2\xa0 \n\n\n \xe3\x80\x80" "123450'\xc2\xa0" "baZ\xf0\x9f\x98\x80  \n\n\n", "'LL  12345 <|user|> <s>  \xf0\x9f\x98\x80,0</s> b\xe3\x80\x80  \xc2\xa0 \n\n\n \xe3\x80\x80" "123450'\xc2\xa0" "baZ\xf0\x9f\x98\x80  \n\n\n"},
    {"llama-spm", "\xc2\x85\xf0\x9f\x98\x80" "03333!b<|im_start|>\r\n12345</s>a<unk> \n12345'", "\xc2\x85\xf0\x9f\x98\x80" "03333!b<|im_start|>\r\n12345</s> a<unk>  \n12345'"},
    {"llama-spm", " 00 </s> \r\n   \n\n\n", " 00 </s>  \r\n   \n\n\n"},
    {"llama-spm", "\xc3\xa9", "\xc3\xa9"},
    {"phi-3", "\xe3\x80\x80</s> ", "\xe3\x80\x80</s>"},
    {"phi-3", "3333\xe4\xb8\xad'Re<|endoftext|>\xe3\x80\x80\t\n \t\n \xe4\xb8\xad'LL.\xf0\x9f\x98\x80" "3333\r\n", "3333\xe4\xb8\xad'Re<|endoftext|> \xe3\x80\x80\t\n \t\n \xe4\xb8\xad'LL.\xf0\x9f\x98\x80" "3333\r\n"},
    {"phi-3", " 0\r\n   0\xcc\x81'LL!'12345 \t\n 3333.\t\n '.  \t\n </s>\xc3\xa9\xc3\xa9<|user|>", " 0\r\n   0\xcc\x81'LL!'12345 \t\n 3333.\t\n '.  \t\n </s> \xc3\xa9\xc3\xa9<|user|>"},
    {"phi-3", "Z", "Z"},
    {"llama-bpe", "\t\n 0b  ,0  'Re\xf0\x9f\x98\x80" "0", "\t\n 0b ,0  'Re\xf0\x9f\x98\x80" "0"},
    {"llama-bpe", "\xf0\x9f\x98\x80\xd9\xa1<|user|><|im_end|>\xe3\x80\x80\xc2\xa0 \n\n\n     0'LL\r\n\n\n\n\?\t\n .12345\t\n\n\n", "\xf0\x9f\x98\x80\xd9\xa1<|user|><|im_end|>\xe3\x80\x80\xc2\xa0 \n\n\n     0'LL\r\n\n\n\n\?\t\n.12345\t\n\n\n"},
    {"llama-bpe", "\?'   .\?'LL \t\xe4\xb8\xad<|assistant|>03333\xc3\xa9 \n0\xf0\x9f\x98\x80\xc2\x85Z'Reb\xd9\xa1\xe4\xb8\xad   \xcc\x81'", "\?'  .\?'LL \t\xe4\xb8\xad<|assistant|>03333\xc3\xa9 \n0\xf0\x9f\x98\x80\xc2\x85Z'Reb\xd9\xa1\xe4\xb8\xad   \xcc\x81'"},
    {"llama-bpe", "Z", "Z"},
    {"qwen2", "\xc2\x85\xf0\x9f\x98\x80" "03333!b<|im_start|>\r\n12345</s>a<unk> \n12345'", "\xc2\x85\xf0\x9f\x98\x80" "03333!b<|im_start|>\r\n12345</s>a<unk> \n12345'"},
    {"qwen35", "\xc3\xa9\xc3\xa9 0\xf0\x9f\x98\x80\?\xe4\xb8\xad" "b\xcc\x81.! \? \n<|end_of_text|>.3333'Re\xcc\x81", "\xc3\xa9\xc3\xa9 0\xf0\x9f\x98\x80\?\xe4\xb8\xad" "b\xcc\x81.! \? \n<|end_of_text|>.3333'Re\xcc\x81"},
    {"gpt-2", "Z \? \nZ</s> \xc2\xa0!</s> <s>.'LL", "Z\? \nZ</s> \xc2\xa0!</s> <s>.'LL"},
    {"gpt-2", "! ,3333\n</s>   \t.\t\n \xf0\x9f\x98\x80" "3333", "!,3333\n</s>   \t.\t\n \xf0\x9f\x98\x80" "3333"},
    {"gpt-2", "\xf0\x9f\x98\x80Z \?'Re\xc3\xa9\t", "\xf0\x9f\x98\x80Z\?'Re\xc3\xa9\t"},
    {"gpt-2", " 00 </s> \r\n   \n\n\n", " 00 </s> \r\n   \n\n\n"},
    {"starcoder", "'LL \xc2\x85 \xcc\x81\r\n0\xf0\x9f\x98\x80   's's\r\n<|end|>", "'LL \xc2\x85 \xcc\x81\r\n0\xf0\x9f\x98\x80  's's\r\n<|end|>"},
    {"starcoder", "3333\xc3\xa9\xc2\x85''LL  's, \n\n\n\n0\xcc\x81\xf0\x9f\x98\x80\xd9\xa1\xd9\xa1\n\n\n'\xc2\xa0'sa", "3333\xc3\xa9\xc2\x85''LL 's, \n\n\n\n0\xcc\x81\xf0\x9f\x98\x80\xd9\xa1\xd9\xa1\n\n\n'\xc2\xa0'sa"},
    {"starcoder", "'Re!12345 's.'\xc2\xa0<s></s>    <|begin_of_text|>\xcc\x81", "'Re!12345's.'\xc2\xa0<s></s>    <|begin_of_text|>\xcc\x81"},
    {"starcoder", "\xe3\x80\x80</s> ", "\xe3\x80\x80</s> "},
    {"falcon", " \n .!'s</s>'Re   \n0\t</s>'Rea\xc2\x85\xd9\xa1\xd9\xa1<s>   \xcc\x81\?", " \n.!'s</s>'Re   \n0\t</s>'Rea\xc2\x85\xd9\xa1\xd9\xa1<s>   \xcc\x81\?"},
    {"falcon", "  ,\n\xd9\xa1", " ,\n\xd9\xa1"},
    {"falcon", "!\xc3\xa9's a\xe4\xb8\xad \?'s.ZZ3333<|assistant|> 0\xe3\x80\x80 \n>>TITLE<<   !\n\n\n", "!\xc3\xa9's a\xe4\xb8\xad\?'s.ZZ3333<|assistant|> 0\xe3\x80\x80 \n>>TITLE<<  !\n\n\n"},
    {"falcon", "\xe3\x80\x80\t 0\xe3\x80\x80\t\n a", "\xe3\x80\x80\t 0\xe3\x80\x80\t\n a"},
};

static void random_strings_decode_like_llama_cpp(void **state) {
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof DECODE_CASES / sizeof DECODE_CASES[0]; i++) {
        const decode_case *c = &DECODE_CASES[i];
        char rel[256];
        snprintf(rel, sizeof rel, "models/gguf-vocab/ggml-vocab-%s.gguf", c->vocab);
        gguf_file *f;
        tok_vocab *v;
        hf_err err = {0};
        assert_int_equal(gguf_open(&f, tu_shared(rel), &err), HF_OK);
        assert_int_equal(tok_load(&v, f, &err), HF_OK);
        int32_t *ids;
        size_t n;
        assert_int_equal(tok_encode(v, c->text, strlen(c->text), 0, 1, &ids, &n, &err), HF_OK);
        char buf[1024];
        size_t k = tok_decode(v, ids, n, 0, 1, buf, sizeof buf);
        if (k != strlen(c->decoded) || memcmp(buf, c->decoded, k) != 0) {
            fprintf(stderr, "%s decode case %zu differs: \"%.*s\"\n", c->vocab, i, (int)k, buf);
            bad++;
        }
        free(ids);
        tok_free(v);
        gguf_close(f);
    }
    assert_int_equal(bad, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_strings_encode_like_llama_cpp),
        cmocka_unit_test(random_strings_decode_like_llama_cpp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
