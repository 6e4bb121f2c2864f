"""The machine-learning plumbing the learned layers share: the int8 sentence encoder and its
word-piece states (`encoder`), the fine-tuned top layers (`transformer`), the small
trained heads (`heads`), the BIO span tagger over them (`tagger`) and the word features the
taggers read (`features`). It knows no layer's labels; the layers (`spinscope.layers`) do."""
