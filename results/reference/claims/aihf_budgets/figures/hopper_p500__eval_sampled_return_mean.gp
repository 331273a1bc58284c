set terminal pngcairo size 1280,518 font "DejaVu Sans,11"
set output "./figures/hopper_p500__eval_sampled_return_mean.png"
set termoption noenhanced
set border lw 1 lc rgb "#444444"
set grid xtics ytics lw 1 lc rgb "#e5e5e5"
set tics nomirror out
set border 3
unset key
set multiplot title "hopper_p500: sampled-action return, mean and 95% bootstrap CI over seeds"
set ylabel "sampled-action return"
set yrange [0:2000]
set origin 0, 0.119691
set size 0.5, 0.814672
set xlabel "environment steps (thousands)"
set xrange [0:*]
set autoscale xfixmax
plot "./figures/hopper_p500__eval_sampled_return_mean__aihf__steps.dat" using ($1/1000):3:4 with filledcurves fc rgb "#0072B2" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__aihf__steps.dat" using ($1/1000):2 with lines lw 2.5 dt 1 lc rgb "#0072B2", \
     "./figures/hopper_p500__eval_sampled_return_mean__aihf_dpo__steps.dat" using ($1/1000):3:4 with filledcurves fc rgb "#E69F00" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__aihf_dpo__steps.dat" using ($1/1000):2 with lines lw 2.5 dt 1 lc rgb "#E69F00", \
     "./figures/hopper_p500__eval_sampled_return_mean__dpo__steps.dat" using ($1/1000):3:4 with filledcurves fc rgb "#009E73" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__dpo__steps.dat" using ($1/1000):2 with lines lw 2.5 dt 1 lc rgb "#009E73", \
     "./figures/hopper_p500__eval_sampled_return_mean__rlhf__steps.dat" using ($1/1000):3:4 with filledcurves fc rgb "#D55E00" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__rlhf__steps.dat" using ($1/1000):2 with lines lw 2.5 dt 1 lc rgb "#D55E00", \
     "./figures/hopper_p500__eval_sampled_return_mean__start__steps.dat" using ($1/1000):3:4 with filledcurves fc rgb "#CC79A7" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__start__steps.dat" using ($1/1000):2 with lines lw 2.5 dt 1 lc rgb "#CC79A7", \
     "./figures/hopper_p500__eval_sampled_return_mean__oracle__steps.dat" using ($1/1000):3:4 with filledcurves fc rgb "#56B4E9" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__oracle__steps.dat" using ($1/1000):2 with lines lw 2.5 dt 1 lc rgb "#56B4E9"
set origin 0.5, 0.119691
set size 0.5, 0.814672
set xlabel "wall-clock time (seconds)"
set xrange [0:*]
set autoscale xfixmax
plot "./figures/hopper_p500__eval_sampled_return_mean__aihf__wall.dat" using ($1/1):3:4 with filledcurves fc rgb "#0072B2" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__aihf__wall.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#0072B2", \
     "./figures/hopper_p500__eval_sampled_return_mean__aihf_dpo__wall.dat" using ($1/1):3:4 with filledcurves fc rgb "#E69F00" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__aihf_dpo__wall.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#E69F00", \
     "./figures/hopper_p500__eval_sampled_return_mean__dpo__wall.dat" using ($1/1):3:4 with filledcurves fc rgb "#009E73" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__dpo__wall.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#009E73", \
     "./figures/hopper_p500__eval_sampled_return_mean__rlhf__wall.dat" using ($1/1):3:4 with filledcurves fc rgb "#D55E00" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__rlhf__wall.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#D55E00", \
     "./figures/hopper_p500__eval_sampled_return_mean__start__wall.dat" using ($1/1):3:4 with filledcurves fc rgb "#CC79A7" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__start__wall.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#CC79A7", \
     "./figures/hopper_p500__eval_sampled_return_mean__oracle__wall.dat" using ($1/1):3:4 with filledcurves fc rgb "#56B4E9" fs transparent solid 0.18 noborder, \
     "./figures/hopper_p500__eval_sampled_return_mean__oracle__wall.dat" using ($1/1):2 with lines lw 2.5 dt 1 lc rgb "#56B4E9"
set origin 0, 0
set size 1, 0.119691
unset border
unset tics
unset grid
unset xlabel
unset ylabel
set xrange [0:1]
set yrange [0:1]
set lmargin 0
set rmargin 0
set tmargin 0
set bmargin 0
set key center center horizontal maxcols 4 reverse Left samplen 3 width 3
plot -1 with lines notitle, keyentry with lines lw 2.5 dt 1 lc rgb "#0072B2" title "aihf (5 seeds)", keyentry with lines lw 2.5 dt 1 lc rgb "#E69F00" title "aihf_dpo (5 seeds)", keyentry with lines lw 2.5 dt 1 lc rgb "#009E73" title "dpo (5 seeds)", keyentry with lines lw 2.5 dt 1 lc rgb "#D55E00" title "rlhf (5 seeds)", keyentry with lines lw 2.5 dt 1 lc rgb "#CC79A7" title "start (5 seeds)", keyentry with lines lw 2.5 dt 1 lc rgb "#56B4E9" title "oracle (5 seeds)"
unset multiplot
unset output
